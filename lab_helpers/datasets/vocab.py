"""Fixed word lists (names, places, departments, user agents) the generator draws from.

Nothing here may contain a comma, a double quote or a newline: the LMS CSV files are
written unquoted for Glue's LazySimpleSerDe, so such a value would shift every column.
"""

UNIVERSITY = (1, "Peculiar U", "http://www.peculiaru.awstommy.com")
LMS_HOST = "https://canvas.peculiaru.awstommy.com"
ROOT_ACCOUNT_CODE = "PECULIARU"

# (school_id, name, relative url, account code)
SCHOOLS = [
    (1, "College of Arts and Sciences", "/cas", "CAS"),
    (2, "College of Engineering", "/coe", "COE"),
    (3, "School of Business", "/business", "SOB"),
    (4, "School of Education", "/education", "SOE"),
]

# (department_id, name, code, school_id, popularity, has_labs, course topics)
# The College of Engineering keeps the workshop's ids 25-29.
DEPARTMENTS = [
    (20, "Biology", "BIOL", 1, 1.2, True,
     ["Cell Biology", "Genetics", "Ecology", "Microbiology", "Evolution", "Physiology"]),
    (21, "Chemistry", "CHEM", 1, 0.8, True,
     ["General Chemistry", "Organic Chemistry", "Analytical Chemistry", "Biochemistry",
      "Physical Chemistry", "Inorganic Chemistry"]),
    (22, "English", "ENGL", 1, 0.7, False,
     ["Composition", "American Literature", "Shakespeare", "Creative Writing",
      "Literary Theory", "Rhetoric"]),
    (23, "History", "HIST", 1, 0.6, False,
     ["World History", "American History", "European History", "Historical Methods",
      "History of Science", "Modern Asia"]),
    (24, "Mathematics", "MATH", 1, 0.9, False,
     ["Calculus", "Linear Algebra", "Discrete Mathematics", "Probability",
      "Differential Equations", "Real Analysis"]),
    (25, "Aeronautics", "AERO", 2, 1.0, True,
     ["Aerodynamics", "Flight Mechanics", "Propulsion", "Aerospace Structures",
      "Orbital Mechanics", "Avionics"]),
    (26, "Civil Engineering", "CIVE", 2, 0.9, True,
     ["Statics", "Structural Analysis", "Geotechnics", "Transportation Systems",
      "Hydraulics", "Construction Management"]),
    (27, "Computer Science", "COMP", 2, 1.8, False,
     ["Programming", "Data Structures", "Algorithms", "Operating Systems",
      "Databases", "Machine Learning"]),
    (28, "Electrical Engineering", "ELEC", 2, 1.0, True,
     ["Circuits", "Signals and Systems", "Electronics", "Electromagnetics",
      "Control Systems", "Power Systems"]),
    (29, "Environment and Natural Resources", "ENVI", 2, 0.7, True,
     ["Environmental Science", "Water Resources", "Soil Science", "Climate Systems",
      "Conservation", "Environmental Policy"]),
    (30, "Accounting", "ACCT", 3, 0.9, False,
     ["Financial Accounting", "Managerial Accounting", "Auditing", "Taxation",
      "Cost Accounting", "Accounting Information Systems"]),
    (31, "Finance", "FINA", 3, 1.0, False,
     ["Corporate Finance", "Investments", "Financial Markets", "Risk Management",
      "International Finance", "Financial Modeling"]),
    (32, "Management", "MGMT", 3, 1.1, False,
     ["Organizational Behavior", "Operations Management", "Strategy", "Leadership",
      "Entrepreneurship", "Business Analytics"]),
    (33, "Education", "EDUC", 4, 0.8, False,
     ["Educational Psychology", "Curriculum Design", "Classroom Assessment",
      "Literacy Education", "Special Education", "Instructional Technology"]),
    (34, "Kinesiology", "KINE", 4, 0.6, True,
     ["Exercise Physiology", "Biomechanics", "Motor Learning", "Sports Nutrition",
      "Athletic Training", "Health Promotion"]),
]

# Level -> how a course name is built from a topic.
COURSE_NAME_PATTERNS = {
    100: ["Introduction to {t}", "Foundations of {t}"],
    200: ["{t} I", "{t} II"],
    300: ["Applied {t}", "{t} Laboratory Methods"],
    400: ["Advanced {t}", "Senior Seminar in {t}"],
}

ED_LEVELS = [
    (0, "NA", "Not provided"),
    (1, "No HS", "No high school"),
    (2, "Some HS", "Some high school"),
    (3, "HS Grad", "High school graduate"),
    (4, "Some Coll", "Some college"),
    (5, "Associate", "Associate degree"),
    (6, "Bachelors", "Bachelors degree"),
    (7, "Masters", "Masters degree"),
    (8, "Post Grad", "Post graduate study"),
    (9, "Doctorate", "Doctorate degree"),
]
# probability of each ed_level as a parent's highest education
ED_LEVEL_WEIGHTS = [5, 2, 3, 18, 14, 8, 28, 14, 4, 4]

FIRST_NAMES_F = [
    "Olivia", "Emma", "Ava", "Sophia", "Isabella", "Mia", "Charlotte", "Amelia", "Harper",
    "Evelyn", "Abigail", "Emily", "Elizabeth", "Sofia", "Avery", "Ella", "Madison", "Scarlett",
    "Victoria", "Aria", "Grace", "Chloe", "Camila", "Penelope", "Riley", "Layla", "Lillian",
    "Nora", "Zoey", "Mila", "Aubrey", "Hannah", "Lily", "Addison", "Eleanor", "Natalie",
    "Luna", "Savannah", "Brooklyn", "Leah", "Zoe", "Stella", "Hazel", "Ellie", "Paisley",
    "Audrey", "Skylar", "Violet", "Claire", "Bella", "Priya", "Mei", "Fatima", "Ana",
]
FIRST_NAMES_M = [
    "Liam", "Noah", "William", "James", "Oliver", "Benjamin", "Elijah", "Lucas", "Mason",
    "Logan", "Alexander", "Ethan", "Jacob", "Michael", "Daniel", "Henry", "Jackson",
    "Sebastian", "Aiden", "Matthew", "Samuel", "David", "Joseph", "Carter", "Owen", "Wyatt",
    "John", "Jack", "Luke", "Jayden", "Dylan", "Grayson", "Levi", "Isaac", "Gabriel",
    "Julian", "Mateo", "Anthony", "Jaxon", "Lincoln", "Joshua", "Christopher", "Andrew",
    "Theodore", "Caleb", "Ryan", "Asher", "Nathan", "Thomas", "Leo", "Arjun", "Wei", "Omar",
    "Diego",
]
LAST_NAMES = [
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
    "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright",
    "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker",
    "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Gomez", "Phillips",
    "Evans", "Turner", "Diaz", "Parker", "Cruz", "Edwards", "Collins", "Reyes", "Stewart",
    "Morris", "Morales", "Murphy", "Cook", "Rogers", "Gutierrez", "Ortiz", "Morgan",
    "Cooper", "Peterson", "Bailey", "Reed", "Kelly", "Howard", "Ramos", "Kim", "Cox", "Ward",
    "Richardson", "Watson", "Brooks", "Chavez", "Wood", "James", "Bennett", "Gray", "Mendoza",
    "Ruiz", "Hughes", "Price", "Alvarez", "Castillo", "Sanders", "Patel", "Myers", "Long",
    "Ross", "Foster", "Jimenez", "Chen", "Wang", "Singh", "Okafor", "Kowalski", "Rossi",
]

# (state, weight): most students come from the home state.
STATES = [
    ("Massachusetts", 30), ("New York", 8), ("Connecticut", 5), ("New Hampshire", 4),
    ("Rhode Island", 3), ("Maine", 3), ("Vermont", 2), ("New Jersey", 5), ("Pennsylvania", 4),
    ("California", 5), ("Texas", 3), ("Florida", 3), ("Illinois", 2), ("Ohio", 2),
    ("Virginia", 2), ("Maryland", 2), ("District of Columbia", 1), ("Washington", 2),
    ("Georgia", 1), ("North Carolina", 1), ("Michigan", 1), ("Colorado", 1), ("Oregon", 1),
    ("Minnesota", 1), ("Arizona", 1), ("Wisconsin", 1), ("Tennessee", 1), ("Missouri", 1),
    ("Indiana", 1), ("Utah", 1), ("Alabama", 0.5), ("Alaska", 0.3), ("Arkansas", 0.5),
    ("Delaware", 0.5), ("Hawaii", 0.5), ("Idaho", 0.3), ("Iowa", 0.5), ("Kansas", 0.5),
    ("Kentucky", 0.5), ("Louisiana", 0.5), ("Mississippi", 0.3), ("Montana", 0.3),
    ("Nebraska", 0.3), ("Nevada", 0.5), ("New Mexico", 0.3), ("North Dakota", 0.2),
    ("Oklahoma", 0.5), ("South Carolina", 0.5), ("South Dakota", 0.2), ("West Virginia", 0.3),
    ("Wyoming", 0.2),
]
# A broken upstream export split "District of Columbia" on a space; the workshop's SIS
# CSVs carry these fragments (one with a trailing space), so DataBrew profiling finds them.
STATE_FRAGMENTS = ["District ", "of Columbia"]

FACULTY_TITLES = ["professor", "associate professor", "assistant professor", "instructor",
                  "lecturer"]
FACULTY_TITLE_WEIGHTS = [30, 25, 20, 15, 10]

# Commas removed from "(KHTML, like Gecko)": values must stay unquotable.
USER_AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML like Gecko) "
    "Chrome/86.0.4240.111 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML like Gecko) "
    "Version/14.0 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:82.0) Gecko/20100101 Firefox/82.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML like Gecko) "
    "Chrome/87.0.4280.88 Safari/537.36",
    "Mozilla/5.0 (X11; CrOS x86_64 13421.89.0) AppleWebKit/537.36 (KHTML like Gecko) "
    "Chrome/86.0.4240.199 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML like Gecko) "
    "Chrome/87.0.4280.88 Safari/537.36 Edg/87.0.664.66",
    "candroid/6.10.1 (Android 10; Pixel 3a)",
    "iCanvas/6.10.2 (iPhone; iOS 14.2)",
]
USER_AGENT_WEIGHTS = [30, 18, 8, 14, 6, 8, 7, 9]

# Page views in general.csv: (url template, controller, action, weight).
# {c} course id, {a} assignment id, {n} a small per-course number.
PAGE_VIEWS = [
    ("/courses/{c}", "courses", "show", 18),
    ("/courses/{c}/modules", "context_modules", "index", 14),
    ("/courses/{c}/assignments/{a}", "assignments", "show", 14),
    ("/courses/{c}/assignments", "assignments", "index", 8),
    ("/courses/{c}/files/{n}", "files", "show", 12),
    ("/courses/{c}/discussion_topics/{n}", "discussion_topics", "show", 8),
    ("/courses/{c}/grades", "gradebooks", "grade_summary", 8),
    ("/courses/{c}/pages/week-{n}", "wiki_pages", "show", 8),
    ("/courses/{c}/announcements", "announcements", "index", 4),
    ("/api/v1/courses/{c}/activity_stream", "courses", "activity_stream", 6),
]

ASSIGNMENT_KINDS = {  # department code -> name of the weekly work
    "default": "Homework",
    "MATH": "Problem Set", "COMP": "Programming Assignment", "ENGL": "Essay", "HIST": "Essay",
    "BIOL": "Lab Report", "CHEM": "Lab Report",
}
