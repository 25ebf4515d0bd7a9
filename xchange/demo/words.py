"""Word lists and the cast of the demo data: partnerships, countries, names (no logic here).

Everything is fictional. Names are built from these parts by `xchange.demo.load`, so that a million
organisations still read like real ones ("Cluster Automotive Lombardia", "Belatex S.r.l.").
The order of every list matters: the generator draws indices into them, so reordering changes
the data a seed produces.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class PartnershipSpec:
    """One demo partnership and the story it tells on the dashboard.

    `offset_months`: how many months before the current month the action started;
    `pace`: exchanges per month relative to an on-track partnership;
    `visitor_sme`: share of new visitors that are SMEs; `visitor_external`/`host_external`:
    shares of visitors / hosts from beyond the partnership community.
    """

    acronym: str
    name: str
    countries: tuple[str, ...]  # where the consortium's cluster organisations sit
    ecosystems: tuple[str, ...]  # reference.ECOSYSTEMS codes the partnership focuses on
    offset_months: int
    duration_months: int
    target: int = 100
    pace: float = 1.0
    visitor_sme: float = 0.42
    visitor_external: float = 0.2
    host_external: float = 0.13
    host_rates: dict[str, int] = field(default_factory=dict)  # country -> full rate, cents


PARTNERSHIPS: tuple[PartnershipSpec, ...] = (
    # Two near the end of their action ...
    PartnershipSpec(
        "GTEX",
        "EU-GreenTex — European Green Textiles Partnership",
        ("IT", "PT", "ES", "BE", "RO"),
        ("TEXT", "CCI"),
        21,
        22,
    ),
    PartnershipSpec(
        "AERO",
        "AEROLINK — European Aerospace Supply Chain Partnership",
        ("FR", "ES", "IT", "DE", "PL"),
        ("AERO", "ELEC"),
        19,
        20,
        target=120,
    ),
    # ... most of them mid-way ...
    PartnershipSpec(
        "AFX",
        "AgriFoodXchange — Agri-food Innovation Clusters Partnership",
        ("NL", "DK", "FR", "PL", "HU"),
        ("AGRI", "RETA"),
        17,
        24,
    ),
    PartnershipSpec(
        "MOBI",
        "MOBILITAS — Clusters for Zero-Emission Mobility",
        ("DE", "CZ", "SK", "SI", "AT"),
        ("MOB", "EII"),
        16,
        24,
    ),
    # Behind on the beyond-community share: it recruits inside its own networks.
    PartnershipSpec(
        "DGB",
        "DIGIBRIDGE — Digital Transformation Bridge for SMEs",
        ("EE", "LT", "LV", "FI", "SE"),
        ("DIGI", "ELEC"),
        15,
        24,
        visitor_external=0.05,
        host_external=0.03,
    ),
    # Behind on the SME share: its visitors are mostly cluster organisations and institutes.
    PartnershipSpec(
        "MTC",
        "MEDTECH-CEE — Health Technology Clusters of Central and Eastern Europe",
        ("HU", "PL", "RO", "BG", "HR"),
        ("HEAL", "DIGI"),
        14,
        24,
        visitor_sme=0.08,
    ),
    # Behind on pace: a slow start, now at risk of missing its (smaller) target.
    PartnershipSpec(
        "BRES",
        "BLUE-RES — Blue Economy and Offshore Renewables Partnership",
        ("IE", "PT", "GR", "MT", "CY"),
        ("REN", "TOUR"),
        13,
        24,
        target=80,
        pace=0.25,
    ),
    PartnershipSpec(
        "B4C",
        "BUILD4CIRC — Circular Construction Clusters Partnership",
        ("SE", "DK", "NL", "BE", "LU"),
        ("CONS", "EII"),
        12,
        22,
    ),
    # Lower lump sums for stays hosted in the Western Balkans, where living costs are lower.
    PartnershipSpec(
        "TBAL",
        "TOURBALKAN — Sustainable Tourism Partnership of the Balkans",
        ("HR", "SI", "AL", "ME", "RS", "MK", "BA"),
        ("TOUR", "PSE", "AGRI"),
        11,
        20,
        target=80,
        host_rates={
            "AL": 80_000,
            "BA": 80_000,
            "ME": 80_000,
            "MK": 80_000,
            "RS": 85_000,
            "XK": 80_000,
        },
    ),
    PartnershipSpec(
        "CCX",
        "CREATE-EU — Cultural and Creative Industries Xchange",
        ("FR", "BE", "IT", "ES", "AT"),
        ("CCI", "DIGI", "TOUR"),
        10,
        24,
    ),
    PartnershipSpec(
        "PHX",
        "PHOTON-X — Photonics and Electronics Clusters Partnership",
        ("DE", "NL", "FI", "FR", "IS"),
        ("ELEC", "DIGI"),
        9,
        24,
    ),
    # ... and one that started recently, with host rates for its eastern partners.
    PartnershipSpec(
        "SEL",
        "SOCENT-LINK — Proximity and Social Economy Network",
        ("ES", "PT", "IT", "UA", "MD", "TR"),
        ("PSE", "RETA"),
        7,
        20,
        host_rates={"UA": 90_000, "MD": 90_000, "TR": 95_000},
    ),
)


@dataclass(frozen=True)
class CountryWords:
    """What names and distances need of a country."""

    lat: float  # the capital's latitude and longitude: organisations scatter around it
    lon: float
    weight: float  # how many organisations, relatively (economic size, roughly)
    regions: tuple[str, ...]
    cities: tuple[str, ...]
    sme_form: str  # legal form of a small company
    large_form: str  # legal form of a large company
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]


def _c(
    lat: float,
    lon: float,
    weight: float,
    regions: str,
    cities: str,
    sme: str,
    large: str,
    first: str,
    last: str,
) -> CountryWords:
    """A compact row of COUNTRIES: lists as `;`-separated text."""
    return CountryWords(
        lat,
        lon,
        weight,
        tuple(regions.split(";")),
        tuple(cities.split(";")),
        sme,
        large,
        tuple(first.split(";")),
        tuple(last.split(";")),
    )


# Every code of reference.DEFAULT_ELIGIBLE, in that order.
COUNTRIES: dict[str, CountryWords] = {
    "AT": _c(
        48.21,
        16.37,
        4,
        "Upper Austria;Styria;Tyrol",
        "Linz;Graz;Innsbruck",
        "GmbH",
        "AG",
        "Lukas;Anna;Florian;Katharina;Stefan;Julia",
        "Gruber;Huber;Wagner;Pichler;Moser;Steiner",
    ),
    "BE": _c(
        50.85,
        4.35,
        4,
        "Flanders;Wallonia;Brussels",
        "Ghent;Liège;Antwerp",
        "BV",
        "NV",
        "Lotte;Wout;Elise;Thomas;Camille;Maxime",
        "Peeters;Janssens;Dubois;Lambert;Maes;Claes",
    ),
    "BG": _c(
        42.70,
        23.32,
        2,
        "Plovdiv Region;Varna Region;Sofia Region",
        "Plovdiv;Varna;Ruse",
        "EOOD",
        "AD",
        "Georgi;Maria;Ivan;Elena;Dimitar;Desislava",
        "Ivanov;Georgieva;Petrov;Dimitrova;Stoyanov;Nikolova",
    ),
    "HR": _c(
        45.81,
        15.98,
        2,
        "Istria;Dalmatia;Slavonia",
        "Split;Rijeka;Osijek",
        "d.o.o.",
        "d.d.",
        "Ivan;Ana;Luka;Petra;Marko;Iva",
        "Horvat;Kovačević;Babić;Marić;Novak;Jurić",
    ),
    "CY": _c(
        35.17,
        33.36,
        1,
        "Limassol District;Larnaca District;Paphos District",
        "Limassol;Larnaca;Paphos",
        "Ltd",
        "Plc",
        "Andreas;Eleni;Christos;Maria;Giorgos;Sofia",
        "Georgiou;Christodoulou;Ioannou;Constantinou;Demetriou;Charalambous",
    ),
    "CZ": _c(
        50.08,
        14.44,
        3,
        "South Moravia;Moravia-Silesia;Central Bohemia",
        "Brno;Ostrava;Plzeň",
        "s.r.o.",
        "a.s.",
        "Jan;Tereza;Petr;Lucie;Tomáš;Kateřina",
        "Novák;Svobodová;Dvořák;Černá;Procházka;Kučerová",
    ),
    "DK": _c(
        55.68,
        12.57,
        3,
        "Central Denmark;Southern Denmark;North Jutland",
        "Aarhus;Odense;Aalborg",
        "ApS",
        "A/S",
        "Mads;Ida;Frederik;Sofie;Rasmus;Freja",
        "Nielsen;Jensen;Hansen;Pedersen;Andersen;Larsen",
    ),
    "EE": _c(
        59.44,
        24.75,
        1,
        "Harju;Tartu County;Ida-Viru",
        "Tartu;Narva;Pärnu",
        "OÜ",
        "AS",
        "Martin;Kadri;Rasmus;Liis;Karl;Triin",
        "Tamm;Saar;Sepp;Mägi;Kask;Kukk",
    ),
    "FI": _c(
        60.17,
        24.94,
        3,
        "Pirkanmaa;Southwest Finland;North Ostrobothnia",
        "Tampere;Turku;Oulu",
        "Oy",
        "Oyj",
        "Mikko;Aino;Juha;Laura;Antti;Emilia",
        "Korhonen;Virtanen;Mäkinen;Nieminen;Laine;Heikkinen",
    ),
    "FR": _c(
        48.86,
        2.35,
        8,
        "Auvergne-Rhône-Alpes;Occitanie;Grand Est;Nouvelle-Aquitaine",
        "Lyon;Toulouse;Strasbourg;Bordeaux",
        "SAS",
        "SA",
        "Camille;Louis;Chloé;Hugo;Manon;Julien",
        "Martin;Bernard;Durand;Lefebvre;Moreau;Girard",
    ),
    "DE": _c(
        52.52,
        13.40,
        10,
        "Bavaria;Baden-Württemberg;Saxony;North Rhine-Westphalia",
        "Munich;Stuttgart;Dresden;Cologne",
        "GmbH",
        "AG",
        "Lukas;Lena;Jonas;Sophie;Felix;Hannah",
        "Müller;Schmidt;Schneider;Fischer;Weber;Becker",
    ),
    "GR": _c(
        37.98,
        23.73,
        2,
        "Central Macedonia;Attica;Crete",
        "Thessaloniki;Patras;Heraklion",
        "I.K.E.",
        "A.E.",
        "Nikos;Katerina;Giannis;Eleni;Kostas;Dimitra",
        "Papadopoulos;Papadaki;Nikolaou;Georgiou;Vlachos;Karagianni",
    ),
    "HU": _c(
        47.50,
        19.04,
        3,
        "Central Transdanubia;Northern Great Plain;Southern Great Plain",
        "Debrecen;Szeged;Győr",
        "Kft.",
        "Zrt.",
        "Bence;Anna;Máté;Eszter;Dávid;Réka",
        "Nagy;Kovács;Tóth;Szabó;Horváth;Varga",
    ),
    "IE": _c(
        53.35,
        -6.26,
        3,
        "Munster;Connacht;Leinster",
        "Cork;Galway;Limerick",
        "Ltd",
        "plc",
        "Seán;Aoife;Conor;Niamh;Ciarán;Siobhán",
        "Murphy;Kelly;O'Sullivan;Walsh;Byrne;Ryan",
    ),
    "IT": _c(
        41.90,
        12.50,
        8,
        "Lombardia;Emilia-Romagna;Piemonte;Veneto",
        "Milano;Bologna;Torino;Padova",
        "S.r.l.",
        "S.p.A.",
        "Marco;Giulia;Luca;Francesca;Matteo;Chiara",
        "Rossi;Bianchi;Ferrari;Romano;Colombo;Ricci",
    ),
    "LV": _c(
        56.95,
        24.11,
        1,
        "Kurzeme;Vidzeme;Latgale",
        "Liepāja;Daugavpils;Jelgava",
        "SIA",
        "AS",
        "Jānis;Anna;Mārtiņš;Laura;Andris;Ilze",
        "Bērziņš;Kalniņa;Ozols;Jansone;Liepa;Kļaviņa",
    ),
    "LT": _c(
        54.69,
        25.28,
        1,
        "Kaunas County;Klaipėda County;Vilnius County",
        "Kaunas;Klaipėda;Šiauliai",
        "UAB",
        "AB",
        "Lukas;Gabija;Mantas;Eglė;Tomas;Rūta",
        "Kazlauskas;Jankauskienė;Petrauskas;Stankevičiūtė;Vasiliauskas;Žukauskaitė",
    ),
    "LU": _c(
        49.61,
        6.13,
        1,
        "Esch-sur-Alzette;Diekirch;Grevenmacher",
        "Esch-sur-Alzette;Differdange;Dudelange",
        "S.à r.l.",
        "S.A.",
        "Luc;Sophie;Marc;Claire;Tom;Léa",
        "Schmit;Muller;Weber;Hoffmann;Wagner;Kremer",
    ),
    "MT": _c(
        35.90,
        14.51,
        1,
        "Malta;Gozo;Northern Harbour",
        "Valletta;Birkirkara;Victoria",
        "Ltd",
        "plc",
        "Matthew;Maria;Luke;Martina;Jake;Elena",
        "Borg;Camilleri;Vella;Farrugia;Zammit;Galea",
    ),
    "NL": _c(
        52.37,
        4.90,
        5,
        "North Brabant;Gelderland;Overijssel;South Holland",
        "Eindhoven;Nijmegen;Enschede;Rotterdam",
        "B.V.",
        "N.V.",
        "Daan;Emma;Sem;Julia;Lars;Sanne",
        "de Jong;Jansen;de Vries;van den Berg;Bakker;Visser",
    ),
    "PL": _c(
        52.23,
        21.01,
        6,
        "Silesia;Lesser Poland;Greater Poland;Pomerania",
        "Katowice;Kraków;Poznań;Gdańsk",
        "Sp. z o.o.",
        "S.A.",
        "Jakub;Zuzanna;Kacper;Julia;Piotr;Agnieszka",
        "Nowak;Kowalska;Wiśniewski;Wójcik;Kamiński;Lewandowska",
    ),
    "PT": _c(
        38.72,
        -9.14,
        3,
        "Norte;Centro;Alentejo",
        "Porto;Braga;Coimbra",
        "Lda",
        "S.A.",
        "João;Inês;Tiago;Beatriz;Rui;Mariana",
        "Silva;Santos;Ferreira;Pereira;Oliveira;Costa",
    ),
    "RO": _c(
        44.43,
        26.10,
        3,
        "North-West;West;Centre",
        "Cluj-Napoca;Timișoara;Brașov",
        "S.R.L.",
        "S.A.",
        "Andrei;Ioana;Mihai;Elena;Alexandru;Raluca",
        "Popescu;Ionescu;Popa;Stan;Dumitru;Munteanu",
    ),
    "SK": _c(
        48.15,
        17.11,
        2,
        "Košice Region;Žilina Region;Trnava Region",
        "Košice;Žilina;Trnava",
        "s.r.o.",
        "a.s.",
        "Martin;Zuzana;Peter;Jana;Michal;Lucia",
        "Horváth;Kováčová;Varga;Tóthová;Nagy;Baláž",
    ),
    "SI": _c(
        46.06,
        14.51,
        1,
        "Štajerska;Gorenjska;Savinjska",
        "Maribor;Kranj;Celje",
        "d.o.o.",
        "d.d.",
        "Luka;Nina;Jan;Maja;Žiga;Eva",
        "Novak;Horvat;Krajnc;Zupan;Kovač;Potočnik",
    ),
    "ES": _c(
        40.42,
        -3.70,
        7,
        "Catalonia;Basque Country;Valencia;Andalusia",
        "Barcelona;Bilbao;Valencia;Sevilla",
        "S.L.",
        "S.A.",
        "Pablo;Lucía;Javier;Marta;Álvaro;Carmen",
        "García;Fernández;López;Martínez;Sánchez;Romero",
    ),
    "SE": _c(
        59.33,
        18.07,
        4,
        "Västra Götaland;Skåne;Östergötland",
        "Gothenburg;Malmö;Linköping",
        "AB",
        "AB (publ)",
        "Erik;Elsa;Oskar;Maja;Johan;Ebba",
        "Andersson;Johansson;Karlsson;Nilsson;Eriksson;Lindqvist",
    ),
    "AL": _c(
        41.33,
        19.82,
        1,
        "Durrës County;Shkodër County;Vlorë County",
        "Durrës;Shkodër;Vlorë",
        "Sh.p.k.",
        "Sh.a.",
        "Arben;Elira;Ervin;Anisa;Dritan;Klea",
        "Hoxha;Shehu;Dervishi;Leka;Gjoka;Basha",
    ),
    "AM": _c(
        40.18,
        44.51,
        1,
        "Shirak;Lori;Kotayk",
        "Gyumri;Vanadzor;Abovyan",
        "LLC",
        "CJSC",
        "Armen;Ani;Davit;Mariam;Tigran;Lilit",
        "Grigoryan;Hakobyan;Sargsyan;Petrosyan;Harutyunyan;Avetisyan",
    ),
    "BA": _c(
        43.86,
        18.41,
        1,
        "Sarajevo Canton;Herzegovina;Tuzla Canton",
        "Mostar;Tuzla;Banja Luka",
        "d.o.o.",
        "d.d.",
        "Amar;Lejla;Haris;Amina;Nikola;Ivana",
        "Hodžić;Begić;Kovačević;Delić;Hadžić;Marić",
    ),
    "IS": _c(
        64.15,
        -21.94,
        1,
        "Capital Region;Northeast;Southern Peninsula",
        "Akureyri;Hafnarfjörður;Reykjanesbær",
        "ehf.",
        "hf.",
        "Jón;Guðrún;Sigurður;Anna;Einar;Kristín",
        "Jónsson;Sigurðardóttir;Guðmundsson;Einarsdóttir;Magnússon;Ólafsdóttir",
    ),
    "XK": _c(
        42.66,
        21.17,
        1,
        "Prizren District;Peja District;Gjilan District",
        "Prizren;Peja;Gjilan",
        "Sh.p.k.",
        "Sh.a.",
        "Arben;Blerta;Driton;Vjosa;Faton;Donika",
        "Krasniqi;Gashi;Berisha;Morina;Hyseni;Shala",
    ),
    "MD": _c(
        47.01,
        28.86,
        1,
        "Bălți District;Cahul District;Orhei District",
        "Bălți;Cahul;Orhei",
        "S.R.L.",
        "S.A.",
        "Ion;Natalia;Vlad;Cristina;Sergiu;Olga",
        "Rusu;Ciobanu;Munteanu;Cebotari;Lungu;Țurcanu",
    ),
    "ME": _c(
        42.44,
        19.26,
        1,
        "Coastal Region;Northern Region;Central Region",
        "Nikšić;Bar;Herceg Novi",
        "d.o.o.",
        "a.d.",
        "Marko;Jelena;Nikola;Milica;Stefan;Ana",
        "Popović;Vujović;Radović;Perović;Đurović;Kaluđerović",
    ),
    "MK": _c(
        41.99,
        21.43,
        1,
        "Pelagonia;Vardar;Southwest",
        "Bitola;Ohrid;Veles",
        "DOOEL",
        "AD",
        "Aleksandar;Elena;Stefan;Marija;Bojan;Ivana",
        "Stojanovski;Petrovska;Nikolovski;Trajkovska;Georgievski;Dimitrovska",
    ),
    "RS": _c(
        44.79,
        20.45,
        2,
        "Vojvodina;Šumadija;Nišava",
        "Novi Sad;Kragujevac;Niš",
        "d.o.o.",
        "a.d.",
        "Nikola;Milica;Luka;Jovana;Stefan;Ana",
        "Jovanović;Petrović;Nikolić;Marković;Đorđević;Stojanović",
    ),
    "TR": _c(
        39.93,
        32.85,
        4,
        "Marmara;Aegean;Central Anatolia",
        "Bursa;Izmir;Kayseri",
        "Ltd. Şti.",
        "A.Ş.",
        "Mehmet;Zeynep;Emre;Elif;Can;Ayşe",
        "Yılmaz;Kaya;Demir;Şahin;Çelik;Aydın",
    ),
    "UA": _c(
        50.45,
        30.52,
        2,
        "Lviv Oblast;Kharkiv Oblast;Dnipropetrovsk Oblast",
        "Lviv;Kharkiv;Dnipro",
        "LLC",
        "JSC",
        "Oleksandr;Olena;Andriy;Iryna;Dmytro;Kateryna",
        "Shevchenko;Kovalenko;Bondarenko;Tkachenko;Kravchenko;Melnyk",
    ),
}

# The sector words of cluster and institute names, per ecosystem code.
SECTORS: dict[str, tuple[str, ...]] = {
    "AERO": ("Aerospace", "Aeronautics", "Space Technologies", "Defence Industries"),
    "AGRI": ("Agri-food", "Food Processing", "Dairy", "Wine", "Smart Farming"),
    "CONS": ("Construction", "Building Technologies", "Wood and Timber", "Green Building"),
    "CCI": ("Creative Industries", "Design", "Media and Games", "Fashion"),
    "DIGI": ("ICT", "Digital Innovation", "Cybersecurity", "Artificial Intelligence", "Software"),
    "ELEC": ("Electronics", "Microelectronics", "Photonics", "Semiconductors"),
    "EII": ("Chemicals", "Plastics", "Metals", "Ceramics", "Packaging"),
    "REN": ("Renewable Energy", "Hydrogen", "Solar Energy", "Offshore Wind", "Cleantech"),
    "HEAL": ("Health", "Life Sciences", "Medical Technology", "Biotech"),
    "MOB": ("Automotive", "Mobility", "Logistics", "Rail", "Maritime"),
    "PSE": ("Social Economy", "Crafts", "Circular Economy"),
    "RETA": ("Retail", "E-commerce"),
    "TEXT": ("Textiles", "Technical Textiles", "Footwear", "Leather"),
    "TOUR": ("Tourism", "Hospitality", "Cultural Tourism"),
}

# Name templates per organisation type (OrgType values). Placeholders: {S} sector, {R} region,
# {C} city, {L} a family name, {X} a company stem, {P} a product word; {F} the legal form
# (small or large company form of the country) is appended after de-duplication.
TEMPLATES: dict[str, tuple[str, ...]] = {
    "cluster_organisation": (
        "{S} Cluster {R}",
        "Cluster {S} {R}",
        "{R} {S} Cluster",
        "{C} {S} Cluster",
    ),
    "business_network_organisation": (
        "{R} {S} Business Network",
        "{S} Entrepreneurs Association {R}",
        "{C} {S} Industry Association",
        "{X} Business Network {C}",
    ),
    "scale_up_support_organisation": (
        "{C} {S} Innovation Hub",
        "{S} Technology Centre {R}",
        "{X} Accelerator {C}",
        "{S} FabLab {C}",
        "{L} Institute for {S} Research",
        "{X} Incubator {C}",
    ),
    "sme": ("{X}{P}", "{X}"),
    "large_company": ("{X} Group", "{X} Industries"),
    "public_authority": (
        "Regional Government of {R}",
        "City of {C}",
        "{R} Regional Development Agency",
        "{C} Economic Development Office",
    ),
    "innovation_agency": (
        "{R} Innovation Agency",
        "{C} Agency for Technology Transfer",
        "{R} {S} Competence Centre",
    ),
    "training_provider": (
        "{S} Vocational Training Centre {C}",
        "{S} Skills Academy {C}",
        "{X} Training Institute",
    ),
    "university": (
        "University of {C}",
        "{C} University of Technology",
        "{C} University of Applied Sciences",
        "{C} School of {S}",
    ),
    "other": ("{C} Chamber of Crafts", "{R} Foundation for {S}", "{L} Foundation for {S}"),
}

# Company stems: first + middle + last syllable ("Bel" + "a" + "tex" -> "Belatex").
STEM_FIRST = (
    "Al",
    "Bel",
    "Cor",
    "Dan",
    "El",
    "Fen",
    "Gar",
    "Hal",
    "Ist",
    "Jor",
    "Kal",
    "Lor",
    "Mer",
    "Nor",
    "Ol",
    "Pel",
    "Quar",
    "Ren",
    "Sal",
    "Tor",
    "Ul",
    "Ver",
    "Wal",
    "Xan",
    "Yor",
    "Zel",
    "Ast",
    "Bri",
    "Cal",
    "Dex",
)
STEM_MIDDLE = ("a", "e", "i", "o", "u", "ar", "en", "is", "or", "ul", "an", "el")
STEM_LAST = (
    "tex",
    "nova",
    "trix",
    "lab",
    "gen",
    "dyn",
    "via",
    "mar",
    "flex",
    "ion",
    "ora",
    "tech",
    "sys",
    "med",
    "com",
    "ware",
)
PRODUCTS = (
    " Solutions",
    " Systems",
    " Technologies",
    " Engineering",
    " Labs",
    " Digital",
    " Textiles",
    " Foods",
    " Robotics",
    " Design",
    " Analytics",
    " Materials",
    " Energy",
    " Medical",
    " Travel",
    " Consulting",
    " Components",
    " Software",
    " Studio",
)

# Tell namesakes apart ("Piemonte Textiles Cluster Alliance").
QUALIFIERS = ("Alliance", "Network", "Platform", "Initiative", "Forum", "Consortium")

CANCELLATION_REASONS = (
    "The visitor's representative fell ill before travelling",
    "The host could not receive the visitor on the agreed dates",
    "Travel disrupted by a strike; a new date could not be found",
    "The visiting organisation withdrew after staff changes",
    "The exchange agreement was not signed in time",
    "Logged twice by mistake",
)

NOTES = (
    "Visit to the host's pilot line; a joint project proposal is in preparation",
    "Follow-up call planned with two of the host's member companies",
    "Host offered a second visit for the visitor's technical staff (not funded)",
    "Stay combined with the host's annual cluster conference",
    "Visitor presented at the host's matchmaking session",
    "Certificate of attendance received",
)

PASSWORD_WORDS = (
    "harbour",
    "lantern",
    "meadow",
    "compass",
    "orchard",
    "granite",
    "beacon",
    "thistle",
    "saffron",
    "glacier",
    "juniper",
    "cobalt",
)
