#!/usr/bin/env python3
"""Writes kb/common-passwords.txt: passwords of 12 characters or more that
attackers try first, for the hosted course's password policy (auth.h).

Written for knotfinder from general, public knowledge of how people choose
passwords -- the patterns every published breach analysis reports -- and
not copied from any third-party list: a few hundred common words, names and
phrases, each with the usual variants (capitals do not matter: the check
ignores case; digits and years appended; '!' appended; letters swapped
for look-alike digits; the word doubled), keyboard walks, and runs and
repeats of digits.  Only entries of 12 characters or more are kept,
because anything shorter is refused by length anyway.

    scripts/gen-common-passwords.py > kb/common-passwords.txt
"""
import itertools

WORDS = """
password passw0rd p@ssword p@ssw0rd passwort motdepasse contrasena
qwerty azerty qwertz iloveyou letmein welcome admin administrator root
monkey dragon football baseball basketball soccer hockey sunshine princess
shadow master superman batman spiderman michael jennifer jessica ashley
daniel charlie thomas robert william jordan matthew andrew joshua hunter
trustno1 whatever starwars computer internet freedom secret login access
changeme default guest user test testing hello hellokitty flower loveme
lovely babygirl baby angel angels butterfly summer winter autumn spring
chocolate cookie cheese pepper ginger banana orange apple cherry
mustang ferrari porsche harley yamaha corvette mercedes
liverpool arsenal chelsea manchester barcelona realmadrid juventus
pokemon minecraft fortnite nintendo playstation xbox
jesus jesuschrist blessed faith heaven godisgood
family forever friends friendship together beautiful happiness
mypassword yourpassword newpassword oldpassword nopassword
mypass letmein123 welcome123 adminadmin rootroot useruser
killer ninja samurai pirate zombie vampire wizard
tigger pussycat kitty kitten puppy doggie snoopy scooby
diamond silver golden platinum crystal
america canada london paris berlin london123 newyork california texas
january february march april june july august september october november december
monday tuesday wednesday thursday friday saturday sunday
qwertyuiop asdfghjkl zxcvbnm
iloveyouso iloveyoubaby iloveyoutoo iloveyoumore iloveme loveyou
loveyouforever teamo jetaime ichliebedich tiamo
blink182 linkinpark metallica nirvana eminem
matrix neo trinity gandalf frodo hobbit
sexy hottie sweetheart sweetie honey darling
money moneymoney richman bigmoney cash
bubbles buster tucker bailey maggie molly sophie lucky
peanut butter peanutbutter cupcake muffin pancake
rainbow unicorn sparkle glitter
thunder lightning storm hurricane tornado
warrior soldier army marine navy police
mother father sister brother daughter grandma grandpa mommy daddy
superstar rockstar popstar
knotfinder knotsinyourback backpain shoulder massage therapist
""".split()

PHRASES = """
iloveyou letmein welcomehome openup opensesame trustnoone noonecares
ihateyou imissyou fuckyou fuckoff
thequickbrownfox correcthorsebatterystaple ilovemydog ilovemycat
ilovemymom ilovemykids iloveyouall godblessyou jesuslovesme
lovelovelove babybaby hahahaha lolololol
whatever123 letmeinnow letmeinplease pleaseletmein
changeme123 changemenow passwordpassword password1234 password12345
password123456 mypassword123 secretpassword supersecret topsecret
administrator1 administrator123
""".split()

SUFFIXES = ["", "1", "12", "123", "1234", "12345", "123456", "1234567",
            "12345678", "123456789", "!", "1!", "123!", "!!", "01", "007",
            "69", "666", "777", "99", "00", "11", "22", "2000", "1234!",
            "@123", "#1", "321", "4321", "54321", "0", "2"]
SUFFIXES += [str(y) for y in range(1950, 2031)]
SUFFIXES += [str(y) + "!" for y in range(2015, 2031)]

LEET = str.maketrans({"a": "@", "o": "0", "e": "3", "i": "1", "s": "5"})
LEET_SOFT = str.maketrans({"a": "@", "o": "0"})

KEYBOARD = [
    "qwertyuiop", "qwertyuiop[]", "asdfghjkl", "asdfghjkl;'", "zxcvbnm",
    "zxcvbnm,./", "1qaz2wsx3edc", "1qaz2wsx3edc4rfv", "qazwsxedc", "qazwsxedcrfv",
    "qazwsxedcrfvtgb", "1q2w3e4r5t6y", "1q2w3e4r5t6y7u8i", "q1w2e3r4t5y6",
    "qweasdzxc", "qweasdzxcqwe", "zaq12wsx", "zaq1zaq1zaq1", "!qaz@wsx#edc",
    "1qazxsw2", "qwertyasdfgh", "qwertyasdfghzxcvbn", "asdfghjklqwerty",
    "poiuytrewq", "lkjhgfdsa", "mnbvcxz", "0987654321", "1234567890",
    "1234567890-=", "!@#$%^&*()", "!@#$%^&*", "qwerty123456", "123456qwerty",
    "123qweasdzxc", "1qaz!qaz", "azertyuiop", "qsdfghjklm", "wxcvbn",
    "qwertzuiop", "asdfjkl;", "abcdefghijkl", "abcdefghijklmnop",
    "abcdefghijklmnopqrstuvwxyz", "abc123abc123", "abcd1234abcd", "abcdabcdabcd",
    "aaaa1111", "qwerqwerqwer", "asdfasdfasdf", "zxcvzxcvzxcv",
]


def runs():
    out = set()
    digits = "0123456789"
    for start in range(10):
        for n in range(12, 17):
            s = "".join(digits[(start + k) % 10] for k in range(n))
            out.add(s)
            out.add(s[::-1])
    for d in digits:
        for n in range(12, 17):
            out.add(d * n)
    for a, b in itertools.product(digits, repeat=2):
        out.add((a + b) * 6)
    for block in ["123", "321", "1234", "4321", "12345", "54321", "123456", "147258369",
                  "147", "258", "369", "159", "357", "789", "987", "456", "654",
                  "2468", "1357", "0000", "1111", "1212", "6969", "1122", "112233"]:
        s = block
        while len(s) < 12:
            s += block
        out.add(s)
        out.add(s + block)
    for c in "abcdefghijklmnopqrstuvwxyz":
        out.add(c * 12)
    return out


# The words at the top of every breach analysis get every variant; the
# others the commonest few.
TOP = set("""password passw0rd p@ssw0rd qwerty iloveyou letmein welcome admin
monkey dragon football baseball sunshine princess shadow master superman
michael jessica charlie trustno1 whatever starwars computer freedom secret
changeme hello loveme babygirl summer chocolate liverpool pokemon jesus
mypassword""".split())
SHORT = ["", "1", "123", "1234", "12345", "123456", "!", "1!", "2024", "2025",
         "2026", "01"]


def variants(w):
    top = w in TOP
    base = {w, w + w} | ({w.translate(LEET), w.translate(LEET_SOFT)} if top else set())
    out = set()
    for b in base:
        for s in SUFFIXES if top else SHORT:
            out.add(b + s)
        if top:
            out.add("123" + b)
            out.add(b + "@123")
    return out


def main():
    found = set()
    for w in WORDS + PHRASES:
        found |= variants(w)
    for t in itertools.permutations(["i", "love", "you", "my", "baby", "me"], 3):
        found |= {"".join(t) + x for x in SHORT}
    for k in KEYBOARD:
        found |= {k, k + k[:4], k + "123", k + "!", k + "1"}
    found |= runs()
    keep = sorted({p.lower() for p in found if len(p) >= 12})
    print("# common-passwords.txt — passwords the hosted course refuses (auth.h).")
    print("# Made by scripts/gen-common-passwords.py for knotfinder, from general")
    print("# knowledge of how people choose passwords (common words, names and")
    print("# phrases with digits, years, '!' and look-alike letters; keyboard walks;")
    print("# runs and repeats of digits); not copied from any third-party list.")
    print("# Only entries of 12 or more characters: shorter ones fail the length")
    print("# rule anyway.  Compared without case.  %d entries." % len(keep))
    for p in keep:
        print(p)


if __name__ == "__main__":
    main()
