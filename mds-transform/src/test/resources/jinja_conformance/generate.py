"""Writes the cases of cases.tsv (less its header) to standard output: random templates from fixed seeds, each with
Jinja 3.1.6's rendering (dbt's default environment) or '!refused' where Jinja fails. The cases Jinja renders but mds
refuses at build() (truthiness, comparisons across kinds, undefined values) were then marked '!refused' from mds's
result: those pin mds's strictness, the rest pin Jinja's output. Run: python3 generate.py > cases (jinja2 3.1.6)."""
import random, jinja2

env = jinja2.Environment()
out = []

# expressions: literals, names, ~, filters, inline ifs, and/or/not, comparisons, in
random.seed(7)
strs = ["'a'", "'B'", "''", "' x '", "'ab'", "'é'", "\"q'\"", "'10'", "'9'"]
nums = ["0", "1", "2", "1.0", "0.5", "-3", "10", "2.50"]
bools = ["true", "false", "True", "False"]
lists = ["['a', 'b']", "[1, 2]", "[]", "[1, 'a', true]", "[0.5, 1]", "l", "[n, s]"]
def scalar(d):
    r = random.random()
    if d <= 0 or r < 0.3:
        return random.choice(strs + nums + bools + ["s", "n", "b"])
    c = random.randrange(10)
    if c == 0: return "(%s ~ %s)" % (scalar(d-1), scalar(d-1))
    if c == 1: return "(%s | %s)" % (scalar(d-1), random.choice(["upper", "lower", "trim", "replace('a', 'Z')", "default('d')", "default('d', true)"]))
    if c == 2: return "(%s | length)" % random.choice(strs + lists)
    if c == 3: return "(%s | join(%s))" % (random.choice(lists), random.choice(["", "', '", "'-'"]))
    if c == 4: return "(%s if %s else %s)" % (scalar(d-1), cond(d-1), scalar(d-1))
    if c == 5: return "(%s if %s)" % (scalar(d-1), cond(d-1))
    return cond(d-1)
def cond(d):
    c = random.randrange(8)
    if d <= 0 or c == 0: return random.choice(bools + ["b"])
    if c == 1: return "not %s" % cond(d-1)
    if c == 2: return "(%s and %s)" % (cond(d-1), cond(d-1))
    if c == 3: return "(%s or %s)" % (cond(d-1), cond(d-1))
    if c == 4: return "(%s %s %s)" % (scalar(d-1), random.choice(["==", "!="]), scalar(d-1))
    if c == 5: return "(%s %s %s)" % (random.choice(nums + ["n"]), random.choice(["<", ">", "<=", ">="]), random.choice(nums + ["n"]))
    if c == 6: return "(%s %s %s)" % (random.choice(strs + ["s"]), random.choice(["<", ">", "<=", ">="]), random.choice(strs + ["s"]))
    return "(%s %s %s)" % (scalar(d-1), random.choice(["in", "not in"]), random.choice(lists + strs))
prefix = "{% set s = 'ab' %}{% set n = 2 %}{% set b = true %}{% set l = ['x', 'ab'] %}"
for i in range(400):
    e = scalar(3)
    t = prefix + "{{ " + e + " }}"
    try:
        r = env.from_string(t).render()
        out.append((t, r))
    except Exception as ex:
        out.append((t, "!refused"))

# statements: a macro, a for with if/elif/else, prints and comments, with random white space and trim markers
random.seed(11)
def ws(): return random.choice(["", " ", "\n", "  \n ", "\n\n"])
def o(k): return "{" + k + random.choice(["", "-"]) + " "
def c(k): return " " + random.choice(["", "-"]) + k + "}"
conds = ["x == 'a'", "loop.first", "not loop.last", "x in ['b', 'c']", "loop.index > 1 and x != 'c'", "(x < 'b' or loop.last)", "flag", "not flag or x == 'b'"]
vals = ["x", "loop.index", "x | upper", "x ~ '_' ~ loop.revindex", "'y' if loop.last", "m(x)", "m(x, sep='|')", "[x, loop.index] | join('.')"]
def block(d):
    parts = []
    for _ in range(random.randint(1, 3)):
        r = random.randrange(4)
        if r == 0 or d == 0:
            parts.append(ws() + o("{") + random.choice(vals) + c("}") + ws() + random.choice(["", ",", "t"]))
        elif r == 1:
            s = o("%") + "if " + random.choice(conds) + c("%") + block(d-1)
            for _ in range(random.randint(0, 2)):
                s += o("%") + "elif " + random.choice(conds) + c("%") + block(d-1)
            if random.random() < 0.5:
                s += o("%") + "else" + c("%") + block(d-1)
            s += o("%") + "endif" + c("%")
            parts.append(s)
        elif r == 2:
            parts.append(ws() + "text" + ws())
        else:
            parts.append(o("#") + "c" + c("#") + ws())
    return "".join(parts)
for i in range(300):
    t = ("{% set flag = " + random.choice(["true", "false"]) + " %}" + o("%") + "macro m(v, sep='-')" + c("%") + ws() + "<{{ v }}{{ sep }}>" + ws() + o("%") + "endmacro" + c("%")
         + ws() + o("%") + "for x in ['a', 'b', 'c']" + c("%") + block(2) + o("%") + "endfor" + c("%") + ws() + "end")
    try:
        r = env.from_string(t).render()
    except Exception as ex:
        r = "!refused"
    out.append((t.replace("\n", "\\n"), r))

for t, r in out:
    print(t + "\t" + r.replace("\n", "\\n"))
