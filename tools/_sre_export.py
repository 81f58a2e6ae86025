"""Export Python regular expressions for tamis's matcher with Python `re`'s semantics
(crates/tamis-text/src/pyre.rs): the tree Python's own parser builds, with every
single-character node replaced by the code points Python's `re` matches for it.

Used by tools/gen_spacy_lang_data.py and tools/gen_ftfy_data.py. The token stream:
  cHEX            the literal character U+HEX
  sN              a character of set N
  ^  $  Z         at the beginning; at the end or before a final "\\n"; at the very end
  ( ... )         a sequence
  |N              alternatives: the next N sequences, tried in order
  *MIN,MAX,g|l    a repeat (MAX -1: unbounded; g greedy, l lazy) of the next node
  =  !            positive / negative lookahead of the next node
  <W  ~W          positive / negative lookbehind of width W of the next node
A regex over bytes is exported as one over the code points U+0000 to U+00FF (Latin-1).
"""
import re
import re._compiler as sre_compile
import re._constants as K
import re._parser as sre_parse

def esc(s: str) -> str:
    out = []
    for ch in s:
        if ch == "\\":
            out.append("\\\\")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == " ":
            out.append("\\s")
        elif ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append("\\u{%x}" % ord(ch))
        else:
            out.append(ch)
    return "".join(out)


# Every code point a Python str can hold that a Rust char can too (no surrogates).
ALL = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000)
ORDS = [ord(c) for c in ALL]


class Table:
    """Distinct character sets and regexes, numbered in the order they are first seen."""

    def __init__(self):
        self.sets = {}  # tuple of ranges -> id
        self.regexes = {}  # (pattern, flags) -> id
        self.regex_lines = []

    def set_lines(self):
        return ["%d\t%s" % (i, " ".join("%x" % a if a == b else "%x-%x" % (a, b) for a, b in members))
                for members, i in sorted(self.sets.items(), key=lambda kv: kv[1])]


TABLE = Table()
sets = TABLE.sets


def ranges_of(positions):
    return ranges_of_ords(ORDS, positions)


def ranges_of_ords(ords, positions):
    out = []
    for i in positions:
        c = ords[i]
        if out and out[-1][1] + 1 == c:
            out[-1][1] = c
        else:
            out.append([c, c])
    return tuple((a, b) for a, b in out)


BYTES = bytes(range(256))
BYTE_ORDS = list(range(256))


def char_node(item, flags, state, table=None):
    """One single-character node (IN, LITERAL, NOT_LITERAL, ANY) as `cHEX` or `sN`: its
    members are found by compiling the node alone and letting Python's `re` test every
    character, so case folding and categories follow Python exactly."""
    op, av = item
    table = table or TABLE
    if op is K.LITERAL and not flags & re.IGNORECASE:
        return "c%x" % av
    sub = sre_parse.SubPattern(state, [item])
    compiled = sre_compile.compile(sub, flags)
    if state.str is not None and isinstance(state.str, bytes):
        positions = [m.start() for m in compiled.finditer(BYTES)]
        members = ranges_of_ords(BYTE_ORDS, positions)
    else:
        members = ranges_of(m.start() for m in compiled.finditer(ALL))
    if len(members) == 1 and members[0][0] == members[0][1]:
        return "c%x" % members[0][0]
    if members not in table.sets:
        table.sets[members] = len(table.sets)
    return "s%d" % table.sets[members]


def width(p):
    lo, hi = p.getwidth()
    return lo, (None if hi >= K.MAXREPEAT else hi)


def emit(p, flags, state, table=None):
    """The token stream of a parsed sequence `p`."""
    out = []
    for item in p:
        op, av = item
        if op in (K.LITERAL, K.NOT_LITERAL, K.IN, K.ANY):
            out.append(char_node(item, flags, state, table))
        elif op is K.AT:
            if av in (K.AT_BEGINNING, K.AT_BEGINNING_STRING):
                assert not flags & re.MULTILINE
                out.append("^")
            elif av is K.AT_END:
                assert not flags & re.MULTILINE
                out.append("$")
            elif av is K.AT_END_STRING:
                out.append("Z")
            else:
                raise AssertionError("unsupported anchor %s" % av)
        elif op is K.BRANCH:
            branches = av[1]
            out.append("|%d" % len(branches))
            for b in branches:
                out.append("(")
                out.extend(emit(b, flags, state, table))
                out.append(")")
        elif op is K.SUBPATTERN:
            _group, add, remove, body = av
            out.append("(")
            out.extend(emit(body, (flags | add) & ~remove, state, table))
            out.append(")")
        elif op in (K.MAX_REPEAT, K.MIN_REPEAT):
            lo, hi, body = av
            body_sub = body if isinstance(body, sre_parse.SubPattern) else sre_parse.SubPattern(state, body)
            # Python stops an unbounded loop whose body matched nothing; the Rust side does not
            # need to, as long as no such body can match nothing.
            if hi >= K.MAXREPEAT:
                assert width(body_sub)[0] > 0, "nullable loop body"
            out.append("*%d,%d,%s" % (lo, -1 if hi >= K.MAXREPEAT else hi, "g" if op is K.MAX_REPEAT else "l"))
            out.append("(")
            out.extend(emit(body_sub, flags, state, table))
            out.append(")")
        elif op in (K.ASSERT, K.ASSERT_NOT):
            direction, body = av
            neg = op is K.ASSERT_NOT
            if direction == 1:
                out.append("!" if neg else "=")
            else:
                lo, hi = width(body)
                assert lo == hi, "lookbehind needs a fixed width"
                out.append(("~%d" if neg else "<%d") % lo)
            out.append("(")
            out.extend(emit(body, flags, state, table))
            out.append(")")
        else:
            raise AssertionError("unsupported regex node %s" % op)
    return out


def starts_anchored(p):
    if not len(p):
        return False
    op, av = p[0]
    if op is K.AT and av in (K.AT_BEGINNING, K.AT_BEGINNING_STRING):
        return True
    if op is K.BRANCH:
        return all(starts_anchored(b) for b in av[1])
    if op is K.SUBPATTERN:
        return starts_anchored(av[3])
    return False


def ends_anchored(p):
    if not len(p):
        return False
    op, av = p[-1]
    if op is K.AT and av is K.AT_END:
        return True
    if op is K.BRANCH:
        return all(ends_anchored(b) for b in av[1])
    if op is K.SUBPATTERN:
        return ends_anchored(av[3])
    return False


def regex_id(compiled_re, table=None):
    table = table or TABLE
    if compiled_re is None:
        return "-"
    key = (compiled_re.pattern, compiled_re.flags)
    regexes, regex_lines = table.regexes, table.regex_lines
    if key not in regexes:
        p = sre_parse.parse(compiled_re.pattern, compiled_re.flags)
        # VERBOSE only changes how the pattern is read; the tree is what runs.
        flags = p.state.flags & ~re.VERBOSE
        assert not flags & (re.DOTALL | re.MULTILINE | re.ASCII | re.LOCALE), flags
        toks = emit(p, flags, p.state, table)
        # Search hints: a search can only succeed at position 0 (anchored at the start), or only
        # where a match of at most MAXW characters can reach the end (anchored at the end).
        lo, hi = width(p)
        hints = []
        if starts_anchored(p):
            hints.append("start")
        if ends_anchored(p) and hi is not None:
            hints.append("maxw=%d" % hi)
        regexes[key] = len(regexes)
        regex_lines.append("%d\t%s\t%s" % (regexes[key], ",".join(hints) or "-", " ".join(toks)))
    return str(regexes[key])


