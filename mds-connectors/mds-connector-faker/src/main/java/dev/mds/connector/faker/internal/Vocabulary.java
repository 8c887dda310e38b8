package dev.mds.connector.faker.internal;

import java.util.List;

/** The built-in word lists the records are drawn from (in the style of Python Mimesis, which Airbyte's faker uses). */
final class Vocabulary {
    static final List<String> NAMES = List.of("Reda", "Tristan", "Yuki", "Fred", "Emery", "Hana", "Ola", "Gaston",
            "Lakia", "Nell", "Ashlee", "Bart", "Cordell", "Dalia", "Elvis", "Fleta", "Gus", "Hortencia", "Ike",
            "Jamie", "Keiko", "Lino", "Marnie", "Nolan", "Odessa", "Percy", "Quinn", "Rosa", "Soren", "Tamiko",
            "Ulises", "Vera", "Wilbur", "Xiomara", "Yoshiko", "Zack", "Amado", "Bettina", "Clement", "Dorthy",
            "Efrain", "Florance", "Galen", "Hilda", "Ines", "Jarred", "Kasey", "Leonie", "Milo", "Noemi");
    static final List<String> TITLES = List.of("M.Sc.Tech.", "Miss", "MMath", "Mr.", "Mrs.", "Ms.", "Dr.", "PhD",
            "MD", "MBA", "B.Sc", "M.D.", "Madam", "Sir", "Prof.", "MSc", "BSc", "M.A.", "B.A.", "LL.M.");
    static final List<String> WORDS = List.of("locations", "variations", "vacuum", "causes", "cradle", "sensors",
            "threshold", "reviews", "stations", "harbor", "meadow", "pixels", "quarter", "ribbon", "saddle",
            "timber", "utility", "venture", "walnut", "yields", "zoning", "anchor", "beacon", "circuit", "delta",
            "ember", "fabric", "glacier", "horizon", "island", "jungle", "kernel", "lantern", "marble", "nectar",
            "orbit", "prairie", "quartz", "raven", "summit");
    static final List<String> DOMAINS = List.of("protonmail.com", "duck.com", "yahoo.com", "outlook.com",
            "gmail.com", "hotmail.com", "icloud.com", "yandex.com", "gmx.com", "live.com");
    static final List<String> PHONES = List.of("+1-(###)-###-####", "###-###-####", "1-###-###-####",
            "(###) ###-####", "+1-###-###-####", "###.###.####");
    static final List<String> GENDERS = List.of("Male", "Female", "Other", "Fluid");
    static final List<String> LANGUAGES = List.of("Tamil", "Bosnian", "Armenian", "Assamese", "English", "Spanish",
            "German", "French", "Hindi", "Japanese", "Korean", "Swahili", "Polish", "Dutch", "Greek", "Turkish",
            "Portuguese", "Italian", "Catalan", "Icelandic", "Latvian", "Malay", "Zulu", "Welsh", "Basque");
    static final List<String> DEGREES = List.of("Bachelor", "Master", "PhD");
    static final List<String> NATIONALITIES = List.of("Italian", "Estonian", "Swiss", "Russian", "American",
            "Brazilian", "Canadian", "Chinese", "Danish", "Egyptian", "Finnish", "French", "German", "Greek",
            "Indian", "Irish", "Japanese", "Kenyan", "Mexican", "Norwegian", "Peruvian", "Polish", "Spanish",
            "Swedish", "Thai");
    static final List<String> OCCUPATIONS = List.of("Word Processing Operator", "Tiler", "Valuer", "Turkey Farmer",
            "Accountant", "Baker", "Carpenter", "Dental Nurse", "Electrician", "Florist", "Geologist",
            "Hairdresser", "Interpreter", "Journalist", "Landscape Gardener", "Machinist", "Nanny", "Optician",
            "Pharmacist", "Quantity Surveyor", "Radiographer", "Surveyor", "Translator", "Upholsterer",
            "Veterinary Surgeon", "Welder", "Youth Worker", "Zoologist", "Barrister", "Chef");
    /** U+2212 MINUS SIGN, as Airbyte's fixture writes it. */
    static final List<String> BLOOD_TYPES = List.of("A+", "A\u2212", "B+", "B\u2212", "AB+", "AB\u2212", "O+",
            "O\u2212");

    /** A car: its make and model, and the first year it was built. */
    record Car(String make, String model, int firstYear) {
    }

    static final List<Car> CARS = List.of(
            new Car("Mazda", "MX-5", 1989), new Car("Mazda", "RX-8", 2003), new Car("Mazda", "CX-9", 2007),
            new Car("Mercedes-Benz", "C-Class", 1993), new Car("Mercedes-Benz", "E-Class", 1993),
            new Car("Honda", "Accord Crosstour", 2010), new Car("Honda", "Civic", 1980), new Car("Honda", "CR-V", 1996),
            new Car("GMC", "Jimmy", 1980), new Car("GMC", "Sierra 1500", 1988), new Car("GMC", "Yukon", 1992),
            new Car("Ford", "Mustang", 1980), new Car("Ford", "F150", 1980), new Car("Ford", "Explorer", 1990),
            new Car("Chevrolet", "Silverado 2500", 1999), new Car("Chevrolet", "Camaro", 1982),
            new Car("Chevrolet", "Corvette", 1980), new Car("Toyota", "Camry", 1983), new Car("Toyota", "4Runner", 1984),
            new Car("Toyota", "Tacoma", 1995), new Car("Nissan", "Altima", 1993), new Car("Nissan", "350Z", 2003),
            new Car("Volkswagen", "Jetta", 1980), new Car("Volkswagen", "Passat", 1980), new Car("Audi", "A4", 1995),
            new Car("Audi", "Q7", 2006), new Car("BMW", "3 Series", 1980), new Car("BMW", "X5", 2000),
            new Car("Subaru", "Outback", 1995), new Car("Subaru", "Impreza", 1993), new Car("Kia", "Sorento", 2003),
            new Car("Hyundai", "Elantra", 1991), new Car("Dodge", "Ram 1500", 1994), new Car("Dodge", "Viper", 1992),
            new Car("Jeep", "Wrangler", 1987), new Car("Lexus", "RX", 1998), new Car("Volvo", "XC90", 2002),
            new Car("Porsche", "911", 1980), new Car("Cadillac", "Escalade", 1999), new Car("Mitsubishi", "Lancer", 1980));

    /** The last model year a car can have. */
    static final int LAST_YEAR = 2022;

    private Vocabulary() {
    }
}
