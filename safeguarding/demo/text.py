"""The words of the demo's invented records: names, concern templates, follow-up wording.

Everything here is made up. Pupils' surnames are invented compounds, professionals and adults are
invented, agencies belong to the invented local authority of Kestrel Vale, and telephone numbers
are in Ofcom's range kept for drama (01632 960xxx). Accounts are written as staff write real
records: what was seen and heard, when and where, with the child's words in quotes, and no
opinion.

Placeholders, filled by `case_values` in story.py:
  {name} the child's first name; {he} {He} {him} {his} {His} the child's pronouns;
  {other} another pupil's first name and {other_year} their year group (a number);
  {adult} the adult the child lives with, as the child says it ("Mum"), {adult_she} and
  {adult_her} that adult's pronouns; {adult2} another adult of the household ("Mum's boyfriend");
  {adult_rel} / {Adult_rel} how the school refers to the parent or carer ("Mum", "the foster
  carer"); {time} the time it happened; {early_time} and {night_time} for police notifications;
  {pct} an attendance percentage; {staff_adult}, {staff_role} and {staff_he} the adult an
  allegation is about.
"""

from __future__ import annotations

from typing import NamedTuple


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


GIRLS_FIRST_NAMES: tuple[str, ...] = _words(
    """
    Aaliyah Ada Aisha Amara Amelie Ava Bethan Chloe Daisy Eliza Elsie Esme Ffion Freya
    Georgia Hafsa Harriet Hollie Imogen Isla Ivy Jasmine Kayla Keziah Layla Leah Lola
    Lottie Maisie Maja Mariam Mia Nadia Nell Niamh Orla Poppy Priya Rosa Ruby Safiya
    Sienna Thea Tia Tilly Willow Yasmin Zainab Zara Zofia
    """
)
BOYS_FIRST_NAMES: tuple[str, ...] = _words(
    """
    Alfie Archie Arlo Bilal Callum Cole Dexter Eli Ellis Ezra Felix Finley Frankie Hamza
    Harrison Harvey Ibrahim Jacob Jayden Jenson Jude Kacper Kai Kian Leo Logan Louie
    Marcus Mason Musa Nathaniel Noah Ollie Oscar Otis Rafferty Ravi Reggie Rhys Ronan Sami
    Stanley Theo Tobias Tomasz Yusuf Zac Zane
    """
)
# Invented surnames (compounds of English place-name parts), none shared with the demo's staff.
SURNAMES: tuple[str, ...] = _words(
    """
    Abbeymoor Alderwick Amberley-Hale Applegarth Ashbrook Barrowcliffe Beckwood
    Birchenough Bramleigh Brookhollow Burrowfield Calderbank Canterlow Cherrywood
    Clayhithe Coldwater Crossfield Dalehurst Dovecote Dunmere Eastbrook Elmsworth
    Fallowmere Farthingale Fernlow Fieldhouse Foxwell Glenholme Hartwell Hawkridge
    Hazelgrove Heathcote-Vane Hollins Holmbrook Kestlow Kingsmere Larchfield Lindenhall
    Longacre Lowther-Bell Maplestone Marshwood Meadowcroft Millbeck Moorcroft Nettleford
    Northcote Oakridge Orchardson Pebbleford Pinehurst Quarrington Redbrook Rookwood
    Rosewarne Rushmere Saltmarsh Sandford-Keel Shelbourne Southwick Stonebridge
    Thistlewick Underhill Valemont Wainscott Westerleigh Whinfell Willowmere Woodacre
    Wrenbury Yarrowdale
    """
)
# Shortened first names some children go by (legal name -> preferred name).
PREFERRED_FIRST_NAMES: dict[str, str] = {
    "Nathaniel": "Nate",
    "Tobias": "Toby",
    "Harrison": "Harry",
    "Rafferty": "Raff",
    "Elizabeth": "Libby",
    "Imogen": "Immy",
    "Harriet": "Hattie",
    "Zofia": "Zosia",
    "Ibrahim": "Ibby",
    "Kacper": "Kacz",
}

# The other adults a child may name: (how the child says it, pronoun, possessive).
HOUSEHOLD_ADULTS: tuple[tuple[str, str, str, float], ...] = (
    ("Mum", "she", "her", 0.68),
    ("Dad", "he", "his", 0.2),
    ("Nan", "she", "her", 0.07),
    ("Grandad", "he", "his", 0.05),
)
SECOND_ADULTS: tuple[str, ...] = (
    "Mum's boyfriend",
    "Dad",
    "my stepdad",
    "Dale",
    "Ricky",
    "my uncle",
    "Shane",
    "Carl",
)
FOSTER_CARER_NAMES: tuple[str, ...] = ("Jo", "Bev", "Sandra", "Kath", "Lorraine")

# Staff on paper significant-note forms (invented): the name written on the form.
PAPER_FORM_AUTHORS: tuple[str, ...] = (
    "Juno Ashdown (midday supervisor)",
    "Keir Blakemore (minibus driver)",
    "Freda Lullington (teaching assistant)",
    "Ansel Brightwater (sports coach)",
    "Opal Trevenna (breakfast club lead)",
)
PAPER_FORM_REASONS: tuple[str, ...] = (
    "Written on a paper significant-note form on the residential trip, where the system could "
    "not be reached; handed to the DSL on return and entered from the form.",
    "Written on a paper significant-note form during the network outage; entered by the DSL "
    "from the form.",
    "The member of staff has no account (external sports coach); the paper form was handed to "
    "the DSL and entered from it.",
)
LATE_RECORDING_REASONS: tuple[str, ...] = (
    "Recorded at the end of the lesson: the class could not be left. The DSL was told in person "
    "straight away.",
    "Recorded after the school day; I told the DSL in person at the time.",
    "Recorded after break duty finished.",
    "Recorded on return from the sports fixture, where the disclosure was made.",
    "Recorded after the parents' evening appointment where this came up.",
)

# Adults an allegation is about (invented): (name as the record gives it, role, pronoun).
ALLEGATION_ADULTS: tuple[tuple[str, str, str], ...] = (
    ("Lysander Pembrook", "teaching assistant", "he"),
    ("Ottoline Vesey", "midday supervisor", "she"),
    ("Crispin Haldane-Moss", "PE coach (external provider)", "he"),
    ("Verity Stanwix", "cover supervisor", "she"),
)


class AgencySpec(NamedTuple):
    key: str
    name: str
    kind: str
    phone: str
    email: str
    notes: str
    contacts: tuple[tuple[str, str], ...]  # (name, role)


AGENCIES: tuple[AgencySpec, ...] = (
    AgencySpec(
        "front_door",
        "Kestrel Vale Children's Services Front Door",
        "childrens_social_care",
        "01632 960100",
        "frontdoor@kestrelvale.example.org",
        "Referrals by phone first, then the online referral form within 24 hours. "
        "Out of hours: emergency duty team, 01632 960199.",
        (("Corin Westacre", "Social worker, Front Door"), ("Philippa Dunnock", "Team manager")),
    ),
    AgencySpec(
        "early_help",
        "Kestrel Vale Early Help Hub",
        "early_help",
        "01632 960120",
        "earlyhelp@kestrelvale.example.org",
        "Early help assessments and Team Around the Family meetings; needs the family's consent.",
        (("Marisol Keeble", "Early help practitioner"),),
    ),
    AgencySpec(
        "police",
        "Kestrel Vale Police Safeguarding Hub",
        "police",
        "01632 960140",
        "safeguardinghub@kestrelvale-police.example.org",
        "Operation Encompass notifications come from here before 09:00 on school days.",
        (
            ("Tobiah Rennard", "Detective constable, child abuse investigation team"),
            ("Lowenna Strick", "Police constable, schools liaison officer"),
        ),
    ),
    AgencySpec(
        "lado",
        "Kestrel Vale LADO",
        "lado",
        "01632 960160",
        "lado@kestrelvale.example.org",
        "Allegations against adults who work with children: within one working day.",
        (("Annick Holloway-Brede", "Local authority designated officer"),),
    ),
    AgencySpec(
        "school_nurse",
        "Kestrel Vale School Nursing Team",
        "school_nurse",
        "01632 960170",
        "schoolnursing@kestrelvale-health.example.org",
        "",
        (("Gethin Marlowe-Pike", "School nurse"),),
    ),
    AgencySpec(
        "camhs",
        "Riverside CAMHS (Kestrel Vale)",
        "other",
        "01632 960180",
        "camhs.duty@kestrelvale-health.example.org",
        "Duty line for professionals' advice, weekdays 09:00-17:00.",
        (("Sabeen Ottery", "Clinical psychologist"),),
    ),
    AgencySpec(
        "ewo",
        "Kestrel Vale Education Welfare Service",
        "access_and_inclusion",
        "01632 960130",
        "ews@kestrelvale.example.org",
        "Children missing education and persistent absence.",
        (("Barnaby Quist", "Education welfare officer"),),
    ),
    AgencySpec(
        "virtual_school",
        "Kestrel Vale Virtual School",
        "other",
        "01632 960135",
        "virtualschool@kestrelvale.example.org",
        "Personal education plans for looked-after children.",
        (("Imelda Croft-Varney", "PEP coordinator"),),
    ),
    AgencySpec(
        "young_carers",
        "Kestrel Vale Young Carers",
        "other",
        "01632 960150",
        "youngcarers@kestrelvale.example.org",
        "",
        (("Jos Penhallow", "Young carers support worker"),),
    ),
    AgencySpec(
        "prevent",
        "Kestrel Vale Prevent Team",
        "other",
        "01632 960145",
        "prevent@kestrelvale.example.org",
        "Consultations can be anonymous at first.",
        (("Kit Emberton", "Prevent education officer"),),
    ),
    AgencySpec(
        "gp",
        "Heronsgate Medical Practice",
        "gp",
        "01632 960190",
        "",
        "",
        (("Anwen Fairleigh", "GP, safeguarding lead"),),
    ),
    AgencySpec(
        "solicitors",
        "Harrowby Lisle Solicitors",
        "other",
        "01632 960195",
        "",
        "Acts for a parent in private family law proceedings.",
        (("Quentin Ashby-Lark", "Solicitor"),),
    ),
)
# The independent chair of child protection conferences (invented).
CONFERENCE_CHAIR = "Rosalind Tarrant-Lowe (independent conference chair)"


class Template(NamedTuple):
    """One kind of concern as staff write it, with how it tends to be screened and followed up."""

    key: str
    categories: tuple[str, ...]
    phases: frozenset[str]
    account: str
    locations: tuple[str, ...]
    action_taken: str
    # Relative chances of a low, medium and high screening.
    levels: tuple[float, float, float]
    weight: float
    # The agency a medium-level concern is taken to (keys of AGENCIES, or "early_help").
    medium_agency: str = "early_help"
    # A high-level concern goes to the Front Door; these also go to the police.
    police: bool = False
    # What the screener writes about the concern, before the level's own reasoning.
    screen_note: str = ""
    min_year: int = -1
    max_year: int = 13
    sex: str = ""
    other_pupil: bool = False
    told_dsl: bool = False
    # Recorded by the DSL from a notification (Operation Encompass) rather than by staff.
    notification: bool = False
    # Marks on the body map: (view, region, note), placed at the region's centre
    # (safeguarding/body_map.py names the regions).
    body_map: tuple[tuple[str, str, str], ...] = ()
    # Informing parents could put the child at risk: the Front Door decides when.
    parents_not_told: bool = False


PRIMARY = frozenset({"primary"})
SECONDARY = frozenset({"secondary"})
BOTH = PRIMARY | SECONDARY

TEMPLATES: tuple[Template, ...] = (
    Template(
        "neglect_hungry",
        ("neglect",),
        PRIMARY,
        "At breakfast club {name} ate three bowls of cereal and two slices of toast and asked if "
        "{he} could take a slice home “for my tea”. When I asked if {he} had eaten last night, "
        "{name} said “there wasn't anything, {adult} said we're getting shopping when the money "
        "comes.” {name}'s jumper has had the same stains on it since Monday.",
        ("Breakfast club",),
        "Gave {name} a piece of fruit to take to class. Told the DSL at the end of breakfast club.",
        (0.6, 0.35, 0.05),
        3.0,
        screen_note="Signs that {name} is regularly hungry, with unwashed uniform.",
    ),
    Template(
        "neglect_lice",
        ("neglect",),
        PRIMARY,
        "During carpet time {name} was scratching {his} head and said “my head really hurts, "
        "it's itchy all the time.” I could see live head lice and red sores behind {his} ears. "
        "This is the third time this half term staff have noticed head lice; letters went home "
        "on the two earlier occasions.",
        ("Classroom",),
        "Let {name} sit on a chair near me away from the carpet. Told the class teacher.",
        (0.7, 0.3, 0.0),
        2.0,
        medium_agency="school_nurse",
        screen_note="Recurring untreated head lice with sores; letters home have not led to "
        "treatment.",
    ),
    Template(
        "neglect_collection",
        ("neglect",),
        PRIMARY,
        "No adult arrived to collect {name} at 15:15. At 15:50 {his} brother arrived; he told me "
        "he is 11. When I asked where {adult} was, {name} said “{adult}'s asleep, my brother "
        "always gets me now.” This is the second late collection this week.",
        ("School office",),
        "Kept {name} in the office with me until {his} brother arrived. Tried both contact "
        "numbers at 15:30; no answer.",
        (0.4, 0.5, 0.1),
        1.5,
        min_year=0,
        screen_note="Repeated late collection, and collection by an 11-year-old sibling.",
    ),
    Template(
        "neglect_kit",
        ("neglect",),
        SECONDARY,
        "{name} has had no PE kit for five weeks. Today {he} said “my trainers split and we can't "
        "get new ones till {adult} gets paid.” {name} fell asleep in period 1 on Tuesday and "
        "again today, and told me {he} had been “up till 3 looking after my little brother "
        "because he was sick.”",
        ("PE changing rooms", "Sports hall"),
        "Lent {name} kit from lost property and sent {him} to the canteen for a breakfast bar.",
        (0.6, 0.35, 0.05),
        2.0,
        medium_agency="young_carers",
        max_year=11,
        screen_note="Tiredness and missing kit; {name} may be caring for a sibling overnight.",
    ),
    Template(
        "neglect_dental",
        ("neglect",),
        PRIMARY,
        "{name} has been holding {his} jaw during lessons and leaving {his} lunch. {He} said “my "
        "tooth has hurt for ages, {adult} says we can't get a dentist.” Staff first noticed "
        "{name} complaining of toothache about three weeks ago.",
        ("Classroom", "Dining hall"),
        "Asked the office to give {name} a cold drink. Told the DSL at lunchtime.",
        (0.7, 0.3, 0.0),
        1.5,
        medium_agency="school_nurse",
        min_year=0,
        screen_note="Untreated toothache for about three weeks.",
    ),
    Template(
        "neglect_home_alone",
        ("neglect",),
        PRIMARY,
        "{name} said “I was on my own all weekend, {adult} went to {adult_her} friend's and left "
        "us crisps.” {name} said {his} sister is 8. {name} was hungry at breakfast club and was "
        "wearing the same clothes as on Friday.",
        ("Breakfast club", "Classroom"),
        "Made sure {name} had breakfast. Told the DSL in person at 08:55.",
        (0.0, 0.4, 0.6),
        0.8,
        min_year=3,
        told_dsl=True,
        screen_note="Young children left without an adult over a weekend.",
    ),
    Template(
        "attendance_absent",
        ("attendance-cme",),
        BOTH,
        "{name} has been absent for three days with no contact from home. Calls to both numbers "
        "on file at 09:20 and 11:45 went to voicemail. The attendance officer visited the home "
        "address at 13:10: no answer, curtains closed, post visible on the mat. A neighbour said "
        "she had “not seen the family since the weekend.”",
        ("School office", "Home visit"),
        "Left voicemail messages asking a parent to call the school. Told the DSL.",
        (0.3, 0.5, 0.2),
        2.0,
        medium_agency="ewo",
        min_year=0,
        told_dsl=True,
        screen_note="Three days' unexplained absence; family not seen at home.",
    ),
    Template(
        "attendance_pattern",
        ("attendance-cme", "mental-health"),
        SECONDARY,
        "{name}'s attendance this half term is {pct}%. Absences fall mostly on Mondays and "
        "Fridays. At the gate this morning {name} said “I can't face it, I get a horrible "
        "feeling in my stomach when I get to the gate.” {He} agreed to come in through the "
        "student services entrance.",
        ("Main gate", "Student services"),
        "Walked in with {name} to student services and let {his} tutor know.",
        (0.6, 0.4, 0.0),
        2.0,
        medium_agency="ewo",
        screen_note="Falling attendance linked to anxiety about coming into school.",
    ),
    Template(
        "attendance_cme",
        ("attendance-cme",),
        BOTH,
        "{name} has not returned since the half term holiday. {adult} rang the office twice to "
        "say the family “might be moving” but has given no new address or school. Calls since "
        "Tuesday have gone to voicemail.",
        ("School office",),
        "Logged the calls and told the DSL and the attendance officer.",
        (0.1, 0.5, 0.4),
        0.8,
        medium_agency="ewo",
        min_year=0,
        screen_note="Possible child missing education: no destination known.",
    ),
    Template(
        "young_carer_late",
        ("attendance-cme",),
        BOTH,
        "{name} arrived at 09:40, late for the fourth time this fortnight. {name} said “I had to "
        "get my little brother ready and give {adult} {adult_her} tablets because {adult_her} "
        "legs are bad today.”",
        ("School office", "Student services"),
        "Signed {name} in and made sure {he} had something to eat.",
        (0.5, 0.5, 0.0),
        1.5,
        medium_agency="young_carers",
        min_year=3,
        max_year=11,
        screen_note="{name} appears to be a young carer for a parent and a sibling.",
    ),
    Template(
        "bullying_names",
        ("bullying",),
        BOTH,
        "At lunchtime {name} came to me crying and said “{other} keeps calling me smelly and "
        "saying no one wants to sit next to me, and everyone laughs.” {name} said this has "
        "happened “every day since half term”. I saw {name} sitting alone on the benches for "
        "most of lunch.",
        ("Playground", "Dining hall", "Field"),
        "Sat with {name} until the end of lunch and told the class teacher.",
        (0.85, 0.15, 0.0),
        5.0,
        min_year=1,
        other_pupil=True,
        screen_note="Repeated name-calling by another pupil; {name} is isolated at lunch.",
    ),
    Template(
        "bullying_snack",
        ("bullying",),
        PRIMARY,
        "{name} told me that {other} and two other children pushed {him} over by the climbing "
        "frame and took {his} snack “again”. {name} had a graze on {his} right knee, which a "
        "first aider cleaned. {name} said “they said if I tell they'll do it more.”",
        ("Playground",),
        "First aid given. Moved {name} to the quiet area for the rest of playtime.",
        (0.8, 0.2, 0.0),
        3.0,
        max_year=4,
        other_pupil=True,
        body_map=(("front", "right_lower_leg", "graze on right knee"),),
        screen_note="Repeated physical bullying at playtime with a threat not to tell.",
    ),
    Template(
        "bullying_group_chat",
        ("bullying", "online-safety"),
        SECONDARY,
        "{name} showed me messages on {his} phone from a group chat set up by {other} and others "
        "in Year {other_year}. Messages include “just leave the school nobody wants you” and a "
        "photo of {name} edited with a pig's face. {name} said “I've been blocked from "
        "everything and they made a new group without me.” I did not take screenshots; {name} "
        "still has the messages.",
        ("Student services", "Form room"),
        "Reassured {name} that it was right to tell. Asked {him} not to delete the messages.",
        (0.6, 0.4, 0.0),
        4.0,
        max_year=11,
        other_pupil=True,
        screen_note="Online bullying by a group of pupils, with an edited image of {name}.",
    ),
    Template(
        "bullying_bus_stop",
        ("bullying",),
        SECONDARY,
        "{name} reported that on the way home yesterday {other} and an older boy “followed me to "
        "the bus stop and kept kicking my bag and my legs.” {name} said it has happened “loads” "
        "since September. {name} showed me a bruise about 3 cm across on {his} left shin.",
        ("Student services",),
        "Told {name}'s head of year.",
        (0.6, 0.4, 0.0),
        2.5,
        max_year=11,
        other_pupil=True,
        body_map=(("front", "left_lower_leg", "bruise about 3 cm, left shin"),),
        screen_note="Repeated physical bullying on the way home.",
    ),
    Template(
        "online_stranger",
        ("online-safety",),
        PRIMARY,
        "{name} told me “someone I don't know keeps messaging me on my game and asking where I "
        "live and what school I go to.” {name} said the person told {him} they were “twelve, "
        "same as me” and asked {him} to keep it “our secret”. {name} said {he} has not told them "
        "{his} address.",
        ("Classroom", "Computing suite"),
        "Praised {name} for telling. Told the DSL.",
        (0.3, 0.55, 0.15),
        2.5,
        medium_agency="police",
        min_year=3,
        screen_note="Contact from an unknown person online asking for personal details and "
        "secrecy: possible grooming.",
    ),
    Template(
        "online_video",
        ("online-safety",),
        PRIMARY,
        "During computing {name} said “I watched a video at my cousin's where people were "
        "getting hurt, it was real, and now I can't get to sleep.” {name} said {he} watched it on "
        "an older cousin's phone at the weekend. {name} appeared anxious and asked twice whether "
        "{he} was “in trouble”.",
        ("Computing suite",),
        "Reassured {name} that {he} was not in trouble.",
        (0.8, 0.2, 0.0),
        2.0,
        min_year=2,
        screen_note="Exposure to violent content on a relative's phone.",
    ),
    Template(
        "online_spending",
        ("online-safety",),
        PRIMARY,
        "{name} said {he} has spent “loads” on a game using {adult}'s bank card and that an "
        "online friend asked {him} to read out the card number “so he can get me more gems”. "
        "{name} said {he} did not give the number.",
        ("Classroom",),
        "Told {name} it was good to tell an adult.",
        (0.85, 0.15, 0.0),
        1.5,
        min_year=2,
        screen_note="An online contact asking a child for a parent's card details.",
    ),
    Template(
        "online_images_request",
        ("online-safety",),
        SECONDARY,
        "{name} said that someone {he} met on a gaming app moved the chat to another app and has "
        "been asking {him} to send photos “in my underwear”. {name} said “he said he'd send me "
        "£50 and that he'd tell everyone I'm a liar if I told.” {name} said {he} has not sent "
        "any images, and showed me the account name.",
        ("Student services",),
        "Told the DSL in person. Advised {name} not to reply or delete anything.",
        (0.0, 0.4, 0.6),
        1.5,
        medium_agency="police",
        police=True,
        max_year=10,
        told_dsl=True,
        screen_note="Online grooming: requests for indecent images with threats.",
    ),
    Template(
        "online_nudes_shared",
        ("online-safety", "child-on-child"),
        SECONDARY,
        "{name} came to student services at {time} and said a photo {he} sent to {other} “when "
        "we were going out” has been shared in a Year {other_year} group chat. {name} said "
        "“everyone's seen it, I can't go to lessons.” I did not ask to see or copy the image, "
        "in line with the school's guidance on sharing nudes and semi-nudes.",
        ("Student services",),
        "Stayed with {name} in student services and told the DSL in person.",
        (0.0, 0.3, 0.7),
        1.2,
        medium_agency="police",
        police=True,
        min_year=8,
        max_year=11,
        other_pupil=True,
        told_dsl=True,
        screen_note="A nude image of {name} shared among pupils.",
    ),
    Template(
        "mh_empty",
        ("mental-health",),
        SECONDARY,
        "{name} stayed behind after the lesson and said “I don't see the point in anything any "
        "more. I'm not going to do anything stupid, I just feel empty all the time.” {name} said "
        "{he} has felt like this “since before summer” and has not told anyone at home because "
        "“they've got enough going on.”",
        ("Classroom",),
        "Walked {name} to student services and told the DSL in person.",
        (0.4, 0.5, 0.1),
        3.0,
        medium_agency="camhs",
        min_year=9,
        told_dsl=True,
        screen_note="Low mood over several months; {name} denies intent to harm.",
    ),
    Template(
        "mh_parent",
        ("mental-health",),
        PRIMARY,
        "{name} has been very quiet in class for two weeks and has not joined in at playtime. "
        "Today {he} said “I'm worried about {adult}, {adult_she} cries all the time and stays in "
        "bed and I have to make my own breakfast.”",
        ("Classroom",),
        "Spent some time with {name} at the end of the day and told the DSL.",
        (0.5, 0.5, 0.0),
        2.0,
        min_year=1,
        screen_note="A parent's poor mental health is affecting {name}'s care.",
    ),
    Template(
        "mh_exams",
        ("mental-health",),
        SECONDARY,
        "{name} was tearful in registration and said “I haven't slept properly for weeks, my "
        "head won't stop.” {name} said exams are “all I can think about” and that {he} has "
        "stopped eating breakfast.",
        ("Form room",),
        "Let {name} sit in the library for period 1 and told {his} head of year.",
        (0.7, 0.3, 0.0),
        2.5,
        medium_agency="school_nurse",
        min_year=10,
        screen_note="Exam anxiety with poor sleep and skipped meals.",
    ),
    Template(
        "mh_eating",
        ("mental-health",),
        BOTH,
        "{name} has left most of {his} lunch for the last week. Today {he} said “I don't want to "
        "get fat, I only eat apples now.” Lunchtime staff have seen {name} hiding food in a "
        "napkin.",
        ("Dining hall",),
        "Told the DSL and the class teacher.",
        (0.5, 0.5, 0.0),
        1.5,
        medium_agency="school_nurse",
        min_year=4,
        max_year=11,
        screen_note="Restricted eating and worries about weight.",
    ),
    Template(
        "selfharm_cuts",
        ("self-harm", "mental-health"),
        SECONDARY,
        "During PE I noticed several fresh cuts on {name}'s left forearm, some with dried blood. "
        "When I asked gently, {name} said “it's nothing, it was the cat.” After the lesson "
        "{name} came back and said “I do it when it all gets too much, please don't tell "
        "{adult}.”",
        ("PE changing rooms",),
        "Took {name} to the first aider and told the DSL in person. Did not promise to keep it "
        "secret.",
        (0.0, 0.6, 0.4),
        2.0,
        medium_agency="camhs",
        min_year=8,
        told_dsl=True,
        body_map=(("front", "left_forearm", "several fresh cuts"),),
        screen_note="Self-harm by cutting; wounds cared for by the first aider.",
    ),
    Template(
        "selfharm_note",
        ("self-harm",),
        SECONDARY,
        "A friend of {name}'s handed me a note {name} had written in form time that said “I "
        "won't be here much longer.” I spoke with {name} in the pastoral room at {time}. {name} "
        "said “I didn't mean it like that” but also said {he} had “looked up ways” last week.",
        ("Pastoral room",),
        "Stayed with {name} and sent for the DSL, who came straight away.",
        (0.0, 0.3, 0.7),
        1.0,
        medium_agency="camhs",
        max_year=11,
        told_dsl=True,
        screen_note="A note suggesting suicidal thoughts, and searching for methods.",
    ),
    Template(
        "physical_cheek",
        ("physical-abuse",),
        PRIMARY,
        "At {time} I noticed a bruise about the size of a 50p coin on {name}'s left cheek. When "
        "I asked what had happened, {name} said “I fell off the bed.” Later, at break, {name} "
        "said to me without being asked “{adult2} got cross because I spilt my drink.”",
        ("Classroom", "Playground"),
        "Did not ask any more questions. Told the DSL in person straight away.",
        (0.0, 0.4, 0.6),
        1.5,
        told_dsl=True,
        body_map=(("front", "head", "bruise about 2.5 cm, left cheek"),),
        screen_note="A facial bruise with two different explanations, one naming an adult.",
    ),
    Template(
        "physical_belt",
        ("physical-abuse",),
        BOTH,
        "When I raised my arm to point at the board {name} flinched and said “sorry, sorry.” At "
        "the end of the lesson I asked if {he} was all right. {name} said “{adult2} hits me with "
        "his belt when I'm naughty, it doesn't hurt any more.”",
        ("Classroom",),
        "Did not ask any more questions. Told the DSL in person straight away.",
        (0.0, 0.2, 0.8),
        0.8,
        police=True,
        min_year=2,
        max_year=9,
        told_dsl=True,
        parents_not_told=True,
        screen_note="A disclosure of being hit with a belt by an adult at home.",
    ),
    Template(
        "physical_legs",
        ("physical-abuse",),
        PRIMARY,
        "While {name} was getting changed for PE I saw four straight red marks, each about 8 cm "
        "long, on the back of {his} upper legs. {name} said “my brother did it with the wire "
        "from the Xbox.” {name} then said “don't tell {adult}.”",
        ("Hall (PE)",),
        "Told the DSL in person at the end of the lesson.",
        (0.0, 0.5, 0.5),
        1.0,
        min_year=1,
        told_dsl=True,
        body_map=(
            ("back", "left_thigh", "two red marks, about 8 cm"),
            ("back", "right_thigh", "two red marks, about 8 cm"),
        ),
        screen_note="Linear marks on the back of the legs; {name} names a sibling.",
    ),
    Template(
        "emotional_stupid",
        ("emotional-abuse",),
        PRIMARY,
        "During a 1:1 reading session {name} said “{adult2} says I'm thick and nobody wants me.” "
        "{name} said {adult2} shouts at {him} “every night when I get my homework wrong” and "
        "that {he} sometimes hides in the wardrobe.",
        ("Library",),
        "Listened and told {name} I would pass this on to someone who could help.",
        (0.2, 0.6, 0.2),
        1.5,
        min_year=2,
        screen_note="Persistent belittling by an adult at home; {name} hides to avoid it.",
    ),
    Template(
        "da_encompass",
        ("domestic-abuse",),
        BOTH,
        "Operation Encompass notification received at {early_time} from Kestrel Vale Police: "
        "officers attended {name}'s home address at {night_time} last night after a domestic "
        "incident between adults in the household. {name} was in the house. One adult was "
        "arrested. {name} arrived at school on time and appeared tired.",
        ("Operation Encompass notification (email)",),
        "Shared with the class teacher on a need-to-know basis so that {name} has a trusted "
        "adult to go to today.",
        (0.3, 0.6, 0.1),
        3.0,
        notification=True,
        screen_note="Domestic abuse in the household, with {name} present.",
    ),
    Template(
        "da_disclosure",
        ("domestic-abuse",),
        BOTH,
        "{name} said “{adult} and {adult2} were shouting all night and he smashed the telly, I "
        "hid under my bed with my little sister.” {name} said this happens “when he's been "
        "drinking”. I saw no injuries.",
        ("Classroom", "Playground"),
        "Told the DSL in person at break.",
        (0.2, 0.5, 0.3),
        1.5,
        min_year=2,
        max_year=11,
        told_dsl=True,
        screen_note="Domestic abuse witnessed by {name} and a younger sibling.",
    ),
    Template(
        "sexual_secret",
        ("sexual-abuse",),
        PRIMARY,
        "During a 1:1 reading session {name} said “{adult2} makes me play a secret game in the "
        "bath and says I mustn't tell {adult}.” I did not ask any questions. I told {name} I "
        "would need to tell someone whose job is to help keep children safe.",
        ("Library",),
        "Wrote down {name}'s words straight away and told the DSL in person.",
        (0.0, 0.0, 1.0),
        0.25,
        police=True,
        min_year=1,
        told_dsl=True,
        parents_not_told=True,
        screen_note="A disclosure indicating sexual abuse by an adult in the household.",
    ),
    Template(
        "harassment_corridor",
        ("child-on-child",),
        SECONDARY,
        "{name} reported that in the corridor after period 4 {other} grabbed {his} bottom, and "
        "that boys in {other}'s group have been making comments about {his} body “every day, "
        "they think it's funny.” {name} said “I've stopped using that corridor.”",
        ("Student services",),
        "Thanked {name} for telling me and told the DSL.",
        (0.2, 0.6, 0.2),
        1.5,
        min_year=8,
        sex="F",
        other_pupil=True,
        screen_note="Sexual harassment and an assault by another pupil.",
    ),
    Template(
        "knife_threat",
        ("child-on-child",),
        SECONDARY,
        "After a fight on the field at lunch {name} said “{other} said he'd stab me after school, "
        "he's got a knife in his bag, he showed me on Monday.” {name} was shaking and asked to "
        "stay inside at the end of the day.",
        ("Field", "Student services"),
        "Kept {name} in student services and told the DSL and the head of year at once.",
        (0.3, 0.5, 0.2),
        0.8,
        medium_agency="police",
        police=True,
        max_year=11,
        other_pupil=True,
        told_dsl=True,
        screen_note="A threat with a knife said to be carried in school.",
    ),
    Template(
        "cce_parcels",
        ("child-exploitation",),
        SECONDARY,
        "{name} has come into school with two phones and new designer trainers. Today {name} "
        "said “my mate's older cousin gives me money if I drop parcels round for him, it's "
        "easy.” {name} has been absent on four Fridays this half term and was seen getting into "
        "a car with adults outside the school at 15:20 yesterday.",
        ("Student services",),
        "Told the DSL in person.",
        (0.0, 0.2, 0.8),
        0.8,
        police=True,
        min_year=8,
        max_year=11,
        told_dsl=True,
        screen_note="Indicators of criminal exploitation (county lines).",
    ),
    Template(
        "cse_older_boyfriend",
        ("child-exploitation",),
        SECONDARY,
        "{name} was collected from the school gate at 15:10 by an adult man in a silver car. "
        "When I asked {name} about it the next morning {he} said “he's my boyfriend, he's 22, he "
        "buys me stuff.” {name} said {he} has stayed at his flat “a few times” and that "
        "{adult} “doesn't know.”",
        ("Main gate", "Student services"),
        "Told the DSL in person.",
        (0.0, 0.1, 0.9),
        0.5,
        police=True,
        min_year=9,
        max_year=11,
        sex="F",
        told_dsl=True,
        screen_note="Indicators of child sexual exploitation by an adult.",
    ),
    Template(
        "prevent_video",
        ("prevent",),
        SECONDARY,
        "In a citizenship lesson {name} said that people from one community “should all be sent "
        "back” and showed classmates a video on {his} phone from a channel that calls for "
        "violence against them. When I asked about the channel, {name} said “it's just the "
        "truth, you can't say anything these days.”",
        ("Classroom",),
        "Stopped the video, spoke to the class about respect, and told the DSL.",
        (0.3, 0.6, 0.1),
        0.6,
        medium_agency="prevent",
        min_year=8,
        screen_note="Extremist views and sharing of violent extremist material.",
    ),
    Template(
        "fgm_risk",
        ("fgm",),
        PRIMARY,
        "At pick-up a relative collecting {name} told the class teacher that {name} is going "
        "abroad to visit family for “a special celebration to become a woman” in the summer and "
        "will miss the first two weeks of next term. Later {name} said “I'm going to have a "
        "party and a special cut, Auntie says it makes you clean.”",
        ("Classroom",),
        "Told the DSL in person straight away.",
        (0.0, 0.0, 1.0),
        0.12,
        police=True,
        min_year=1,
        sex="F",
        told_dsl=True,
        parents_not_told=True,
        screen_note="Indicators that {name} may be at risk of female genital mutilation.",
    ),
)

# Allegations against staff: never in the child's chronology (KCSIE Part 4).
ALLEGATION_TEMPLATES: tuple[Template, ...] = (
    Template(
        "allegation_grab",
        ("allegation-staff",),
        BOTH,
        "{name} said that at the end of PE yesterday {staff_adult} grabbed {his} arm hard and "
        "pulled {him} off the bench, shouting “move now.” {name} showed me red marks on {his} "
        "upper arm. {name} said “{staff_he} does it to other people too.”",
        ("Classroom",),
        "Told the DSL in person straight away and did not speak to the adult.",
        (0.0, 0.0, 1.0),
        1.0,
        told_dsl=True,
        body_map=(("front", "right_upper_arm", "red marks"),),
    ),
    Template(
        "allegation_messages",
        ("allegation-staff",),
        BOTH,
        "{name} showed me messages on {his} phone from an account {he} said belongs to "
        "{staff_adult}, {staff_role}. The messages say “you're my favourite” and ask {name} not "
        "to tell anyone they have been talking. {name} said “{staff_he} said it's our secret.”",
        ("Student services", "Classroom"),
        "Told the DSL in person straight away and did not speak to the adult.",
        (0.0, 0.0, 1.0),
        1.0,
        min_year=5,
        told_dsl=True,
    ),
)

# What the screener adds about the level (Kestrel Vale's continuum of need, invented numbering).
LEVEL_RATIONALE: dict[str, tuple[str, ...]] = {
    "low": (
        "Needs are met in most respects and there is no sign of significant harm. Below the "
        "threshold for early help; support and monitor in school (level 1).",
        "A single incident, dealt with in school. No indication of harm at home. Monitor.",
        "Universal services can meet this need; class teacher to monitor and record any repeat.",
    ),
    "medium": (
        "A pattern of unmet need that universal services alone have not resolved. Meets the "
        "threshold for early help with the family's consent (level 2).",
        "Needs additional support from another service; the family is willing to engage.",
    ),
    "high": (
        "Indicates that {name} may be suffering, or likely to suffer, significant harm. Meets the "
        "threshold for a referral to children's social care (level 4) today.",
        "Reasonable cause to suspect significant harm; refer to the Front Door now and follow "
        "their advice on informing parents.",
    ),
}
NEXT_STEPS: dict[str, str] = {
    "low": "Inform parents; class teacher to check in with {name}; review in two weeks.",
    "medium": "Inform parents; seek consent for support; contact the agency below.",
    "high": "Refer to the Front Door by phone now; written referral within 24 hours.",
}

PARENT_CALL_DESCRIPTIONS: tuple[str, ...] = (
    "Phone {adult_rel} to share the concern and agree how home and school will support {name}.",
    "Speak to {adult_rel} at pick-up, in the family room.",
)
PARENT_CALL_OUTCOMES: tuple[str, ...] = (
    "Spoke to {adult_rel} by phone. {Adult_rel} was not aware and thanked school for calling; "
    "agreed to talk to {name} tonight and ring back tomorrow.",
    "Spoke to {adult_rel} at pick-up in the family room. {Adult_rel} said things had been "
    "“difficult at home” lately and agreed to a follow-up meeting next week.",
    "No answer at 10:05 or 12:30; voicemail left. {Adult_rel} rang back at 15:20 and agreed with "
    "the plan.",
    "{Adult_rel} was upset that school had called and said “it's being blown out of "
    "proportion”. I explained why we share concerns; by the end of the call {adult_rel} agreed "
    "to meet the DSL on Thursday.",
    "Spoke to {adult_rel} by phone. {Adult_rel} said {he} had mentioned something at home and "
    "was glad school had picked it up. Agreed to keep in touch weekly.",
)
PUPIL_CHAT_DESCRIPTIONS: tuple[str, ...] = (
    "Check in with {name} in a quiet space; open questions only, and record {his} words.",
    "Class teacher to check in with {name} daily this week.",
)
PUPIL_CHAT_OUTCOMES: tuple[str, ...] = (
    "Met {name} in the pastoral room. {name} said “it's better now, they've stopped.” Agreed "
    "{name} will come to the pastoral office at lunch if anything happens again.",
    "{name} said {he} felt “a bit better” and named two adults in school {he} can talk to. "
    "Weekly check-ins set up for four weeks.",
    "{name} did not want to talk today and said “I'm fine.” Will try again through the class "
    "teacher, whom {name} trusts.",
    "Daily check-ins done. {name} has been settled and joined in at playtime.",
)
ADULT_CHAT_DESCRIPTIONS: tuple[str, ...] = (
    "Speak to the member of staff on duty at the time and record what they saw.",
    "Speak to {other}'s parents about the behaviour, under the anti-bullying policy.",
)
ADULT_CHAT_OUTCOMES: tuple[str, ...] = (
    "The member of staff on duty confirmed {name} had been on their own and upset for most of "
    "lunch. Nothing further seen.",
    "Met {other}'s parents, who were supportive. {other} has apologised through a restorative "
    "conversation; lunchtime staff will watch the area.",
)
NFA_RATIONALES: tuple[str, ...] = (
    "A single incident; {name} is safe and well supported at home. Does not meet the threshold "
    "for early help. Class teacher to monitor and report any further concerns.",
    "Parents engaged and acted promptly. No indication of harm. Kept on file so that any pattern "
    "can be seen.",
    "Dealt with under the behaviour and anti-bullying policy; no safeguarding threshold met. "
    "Reviewed after two weeks.",
)

# An agency a medium-level concern goes to: (action description, completed outcome).
AGENCY_ACTIONS: dict[str, tuple[str, str]] = {
    "school_nurse": (
        "Refer {name} to the school nursing team for a health review, with {adult_rel}'s consent.",
        "The school nurse saw {name} in school and gave advice to {adult_rel}; follow-up booked "
        "in six weeks.",
    ),
    "camhs": (
        "Support {adult_rel} to ask the GP for a CAMHS referral; share the school's observations "
        "with consent. School counsellor sessions in the meantime.",
        "GP referral to Riverside CAMHS made; {name} is on the waiting list (about 14 weeks). "
        "Six sessions with the school counsellor started. Safety plan agreed with {name}.",
    ),
    "ewo": (
        "Refer to the education welfare service for a home visit.",
        "The education welfare officer visited the home and saw {name} and {adult_rel}. {name} "
        "back in school from Monday; attendance plan agreed, reviewed every two weeks.",
    ),
    "young_carers": (
        "With {adult_rel}'s consent, refer {name} to Kestrel Vale Young Carers.",
        "Young carers assessment completed; {name} goes to a weekly group and has a card to use "
        "if {he} is late because of caring.",
    ),
    "police": (
        "Report the account to the police online safety team; advise {adult_rel} not to delete "
        "the messages.",
        "Report made (reference KV-{ref}). The officer advised the family to keep the device; "
        "the platform has suspended the account.",
    ),
    "prevent": (
        "Consult the Kestrel Vale Prevent Team (without names at first).",
        "The Prevent officer advised this does not meet the threshold for a Channel referral. "
        "Targeted work in school with {name} on online influence; review in six weeks.",
    ),
}
EARLY_HELP_ACTION = (
    "With {adult_rel}'s consent, complete an early help assessment and ask for a Team Around the "
    "Family (TAF) meeting.",
    "Early help assessment completed with {adult_rel}. TAF meeting held; plan agreed with "
    "weekly check-ins in school, a parenting course and food bank vouchers.",
)
SOCIAL_CARE_ACTION = (
    "Phone Kestrel Vale Children's Services Front Door; written referral within 24 hours.",
    (
        "Referral accepted. Strategy discussion held; section 47 enquiry started.",
        "Referral accepted for a child and family assessment (section 17). The social worker "
        "visited within five working days.",
        "The Front Door decided the threshold for social care is not met and stepped the case "
        "down to early help. Decision and reasons recorded.",
    ),
)
POLICE_ACTION = (
    "Report to Kestrel Vale Police Safeguarding Hub, as agreed with the Front Door.",
    "Police report made, crime reference KV/{ref}. Joint visit with social care arranged.",
)
CLOSURES: dict[str, tuple[str, ...]] = {
    "low": (
        "Dealt with in school; {adult_rel} engaged. No further incidents after {weeks} weeks of "
        "monitoring. Closed; staff know to record any new concern.",
        "Parents informed and supportive; {name} settled. No repeat in {weeks} weeks. Closed.",
        "Actions complete and no further concerns seen. Closed, to be reopened if anything recurs.",
    ),
    "medium": (
        "Support in place and reviewed; {name}'s attendance and presentation have improved. "
        "Closed to DSL oversight; the agency continues to lead.",
        "Plan reviewed after {weeks} weeks: needs met, family no longer needs extra support. "
        "Closed.",
    ),
    "high": (
        "Social care assessment concluded; the family is supported under a child in need plan. "
        "Closed at school level: social care leads, school reports any new concern at once.",
        "Social care concluded no further action after assessment, with a safety plan in place. "
        "School continues to monitor; closed.",
        "Section 47 enquiry completed; concerns not substantiated. Family accepted early help. "
        "Closed.",
    ),
}

PHONE_CALLS: dict[str, tuple[str, ...]] = {
    "front_door_referral": (
        "Called the Front Door to make a referral. Shared {name}'s account and the school's "
        "chronology of recent concerns. Advised to send the written referral today; a strategy "
        "discussion will follow. Advised {parents_advice}.",
    ),
    "social_worker_update": (
        "{contact} called with an update: home visit done, {name} seen alone and said {he} feels "
        "safe at home at the moment. Next visit in two weeks.",
        "{contact} asked for {name}'s attendance this term and any recent concerns; shared them "
        "and agreed to send the summary by secure email.",
        "Called {contact} to share that {name} had been upset this morning and said home had "
        "been “loud” last night. {contact} will visit today.",
    ),
    "camhs_advice": (
        "Called the CAMHS duty line for advice. {contact} advised that {name} should be seen by "
        "the GP this week and that the safety plan is shared with {adult_rel} today.",
    ),
    "virtual_school": (
        "{contact} called about {name}'s personal education plan targets and the use of pupil "
        "premium plus for tutoring. Agreed to fund weekly reading sessions.",
    ),
    "lado": (
        "Called the LADO to report the allegation. {contact} advised that the adult should not "
        "work with children while the initial enquiries are made, and that the school should not "
        "investigate before the strategy discussion.",
    ),
    "parent": (
        "{Adult_rel} called to say {name} had been upset about coming to school this morning. "
        "Agreed {name} will go to the pastoral office at registration for the rest of the week.",
        "Called {adult_rel} to check how things were at home after last week. {Adult_rel} said "
        "things were calmer and thanked the school for the support.",
    ),
}

PARENT_REFERRAL_OUTCOMES: tuple[str, ...] = (
    "Spoke to {adult_rel} by phone and explained that school has referred to children's social "
    "care, and why. {Adult_rel} was upset but said {adult_she} understood and would speak to the "
    "social worker.",
    "Met {adult_rel} at the end of the day and explained the referral. {Adult_rel} said “I "
    "know things haven't been right” and agreed to the assessment.",
)
ENCOMPASS_CHECK_IN = (
    "Class teacher to be a quiet, trusted adult for {name} today; no questions about the incident "
    "unless {name} raises it."
)
ENCOMPASS_OUTCOMES: tuple[str, ...] = (
    "{name} was quiet in the morning and settled after lunch. {name} did not mention the incident.",
    "{name} asked to stay in at break and helped tidy the classroom. Said “I'm just tired.” "
    "Settled by the afternoon.",
    "{name} told the class teacher “the police came to our house” and then went back to "
    "{his} work. No further detail; {name} was calm for the rest of the day.",
)
LADO_ACTION = (
    "Headteacher to report the allegation to the LADO within one working day. Do not investigate "
    "or speak to the adult about it before the LADO advises."
)
LADO_OUTCOME = (
    "Reported to the LADO by phone and on the referral form (reference {lado_ref}). On the "
    "LADO's advice the adult is not working with children while initial enquiries are made."
)
ALLEGATION_NOTES: dict[str, str] = {
    "unsubstantiated": "The LADO strategy discussion found insufficient evidence either to "
    "prove or disprove the allegation. Refresher training on positive handling; record kept.",
    "unfounded": "No evidence to support the allegation: the adult was not on site at the time "
    "given (rota and signing-in record). Pupil and family supported.",
    "substantiated": "Sufficient evidence to prove the allegation. The school followed its "
    "disciplinary procedure; referral to the DBS considered with HR.",
    "false": "Sufficient evidence to disprove the allegation. The pupil was supported to "
    "explain why the account was given; no further action against the adult.",
}
ALLEGATION_CLOSURE = (
    "LADO process concluded ({outcome}). Restricted record kept until the adult's normal pension "
    "age or 10 years from the allegation, whichever is longer (KCSIE Part 4)."
)

MEETINGS: dict[str, tuple[str, ...]] = {
    "taf": (
        "Team Around the Family meeting in school. {Adult_rel} said money has been very tight "
        "since the summer. Plan: food bank vouchers and a free breakfast club place, a parenting "
        "course, weekly check-ins for {name} with the pastoral lead. Review in six weeks.",
        "Team Around the Family review. {name}'s attendance is up to 94% and {he} is arriving "
        "with breakfast eaten. {Adult_rel} has finished the parenting course. Agreed to step "
        "down support at the next review if progress holds.",
    ),
    "strategy": (
        "Strategy discussion (section 47) by video call. Information shared by social care, the "
        "police, health and school. Agreed: single-agency section 47 enquiry by social care, "
        "joint visit today; {name} not to be told in advance. School to send attendance and the "
        "concerns summary by Friday.",
    ),
    "icpc": (
        "Initial child protection conference. Reports from social care, school, health and the "
        "police. {Adult_rel} attended with an advocate. Decision: {name} to be made subject of a "
        "child protection plan under the category of neglect. Core group to meet within 10 "
        "working days; review conference in three months.",
    ),
    "core_group": (
        "Core group meeting. Home conditions improved at the last two visits; {name} is coming to "
        "school with lunch money and clean uniform. Outstanding: dental appointment not yet "
        "attended. School to keep daily check-ins.",
        "Core group meeting. Attendance this half term 91%. {Adult_rel} missed one appointment "
        "with the family support worker. {name} said in school “it's better at home now, we "
        "have tea every night.”",
        "Core group meeting. One late collection since the last meeting; otherwise the plan is "
        "on track. Agreed that the school nurse will do a health review before the conference.",
    ),
    "review_conference": (
        "Review child protection conference. Progress against the plan noted by all agencies; "
        "some needs still unmet (health appointments, evening supervision). Decision: {name} to "
        "remain subject of a child protection plan. Next review in six months.",
    ),
    "cin": (
        "Child in need meeting at school. Present: the social worker, {adult_rel}, the DSL and "
        "the class teacher. Plan: weekly sessions with the learning mentor, young carers group, "
        "{adult_rel}'s GP appointment for support. Review in eight weeks.",
        "Child in need review. {name} is engaging with the learning mentor and attendance has "
        "improved. {Adult_rel} is getting support from the GP. Plan continues.",
        "Child in need review. Things at home more settled; social worker plans to recommend "
        "closing the plan at the next review if progress holds.",
    ),
    "pep": (
        "Personal education plan (PEP) meeting. {name} is settled with {adult_rel} and making "
        "expected progress in reading, below in maths. Targets: maths tutoring twice a week "
        "(pupil premium plus); join a lunchtime club. {name} said “I like it here, I've got "
        "friends now.”",
        "PEP review. Maths tutoring has helped; {name} has moved up a group. Contact with birth "
        "family unsettled {him} for a few days after each visit: school to offer a quiet space "
        "on contact days. New targets agreed.",
        "PEP review. Attendance 97%. {name} has joined the football club. Transition planning "
        "for next year started with the virtual school.",
    ),
}

# Invented documents: (file name, overview, title, lines). Every one says it is invented.
DOCUMENTS: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    "icpc_minutes": (
        "icpc-minutes.pdf",
        "Minutes of the initial child protection conference",
        "Initial child protection conference - minutes",
        (
            "Child: {name} {surname}",
            "Chair: Rosalind Tarrant-Lowe, independent conference chair",
            "Agencies: children's social care, school, school nursing, police",
            "Decision: child protection plan, category neglect",
            "Core group: social worker (lead), DSL, school nurse, parent",
            "Review conference in three months.",
        ),
    ),
    "school_report": (
        "school-report-review-conference.pdf",
        "School report for the review child protection conference",
        "School report to review child protection conference",
        (
            "Child: {name} {surname}",
            "Attendance this term: 92% (3 late arrivals)",
            "Presentation: uniform clean on most days; breakfast at breakfast club",
            "Progress against the plan: see the attached summary of core group actions",
            "The child's views: said that home is 'better now' and likes the learning mentor.",
        ),
    ),
    "referral": (
        "referral-front-door.pdf",
        "Copy of the written referral to the Front Door",
        "Referral to Kestrel Vale Children's Services Front Door (copy)",
        (
            "Child: {name} {surname}",
            "Referrer: the school's Designated Safeguarding Lead",
            "Reason for referral: see the concern of the same date on the chronology",
            "Parents informed: as advised by the Front Door",
            "Consent: not required where a child may be at risk of significant harm",
        ),
    ),
    "encompass": (
        "operation-encompass-notification.pdf",
        "Operation Encompass notification from the police",
        "Operation Encompass notification",
        (
            "Child: {name} {surname}",
            "Incident: domestic incident at the home address, police attended overnight",
            "Children present: yes",
            "Action for school: be aware, provide a trusted adult, no need to question the child",
        ),
    ),
    "early_help": (
        "early-help-assessment.pdf",
        "Early help assessment, signed by the family",
        "Early help assessment",
        (
            "Child: {name} {surname}",
            "Strengths: warm relationships at home; the family asked for help",
            "Needs: food, routines in the morning, support for the parent's health",
            "Plan: Team Around the Family, reviewed every six weeks",
        ),
    ),
    "camhs_letter": (
        "camhs-letter.pdf",
        "Letter from Riverside CAMHS: referral accepted, appointment offered",
        "Riverside CAMHS - referral accepted",
        (
            "Patient: {name} {surname}",
            "The referral has been accepted. An assessment appointment is offered.",
            "Please share any change in risk with the CAMHS duty line.",
        ),
    ),
    "pep": (
        "personal-education-plan.pdf",
        "Personal education plan (PEP)",
        "Personal education plan",
        (
            "Child: {name} {surname}",
            "Designated teacher: the school's DSL",
            "Targets: maths tutoring twice weekly; lunchtime club; reading at home with carer",
            "Funding: pupil premium plus, agreed with the virtual school",
        ),
    ),
    "paper_form": (
        "significant-note-form.png",
        "Scan of the paper significant-note form",
        "",
        (),
    ),
}
DOCUMENT_FOOTER = "Invented demonstration document: not a real record of a real child."
