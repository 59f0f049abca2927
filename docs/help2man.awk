# Turns `logview --help` into the man page, so the two cannot drift: `make man` writes
# docs/logview.1 with it, tests/release.rs checks that file against the binary's help, and
# `make release` puts it in every archive.
#   logview --help | awk -v version=0.1.0 -f docs/help2man.awk > docs/logview.1
# The help's shape is the contract: its first line is "logview: WHAT IT DOES"; a line of
# capitals ending in ':' starts a section; in ARGS, OPTIONS, COMMANDS and ENVIRONMENT an
# entry's name fills the first 26 columns and its description starts in column 27, lines
# whose first 26 columns are blank continue it; elsewhere lines are plain text.
# POSIX awk (Debian's mawk does).

function esc(s) {
    gsub(/\\/, "\\e", s)
    return s
}

# Plain text: `code` in bold, --options with minus signs.
function text(s,    out, i, n, parts) {
    s = esc(s)
    n = split(s, parts, "`")
    out = ""
    for (i = 1; i <= n; i++) {
        if (i % 2 == 0) out = out "\\fB" parts[i] "\\fR"
        else out = out parts[i]
    }
    out = opts(out)
    if (out ~ /^[.']/) out = "\\&" out
    return out
}

# --word and -x inside text become \-\-word and \-x (minus signs, not hyphens).
function opts(s,    out, pre) {
    out = ""
    while (match(s, /(^|[ (\[,])--?[A-Za-z]/)) {
        pre = substr(s, 1, RSTART - 1) substr(s, RSTART, 1)
        if (substr(s, RSTART, 1) == "-") pre = substr(s, 1, RSTART - 1)
        out = out pre
        s = substr(s, length(pre) + 1)
        while (substr(s, 1, 1) == "-") { out = out "\\-"; s = substr(s, 2) }
    }
    return out s
}

# An entry's name: options and commands in bold, placeholders (capitals) in italics.
function term(s,    n, i, w, tail, out, parts) {
    n = split(s, parts, " ")
    out = ""
    for (i = 1; i <= n; i++) {
        w = parts[i]; tail = ""
        if (w ~ /,$/) { tail = ","; w = substr(w, 1, length(w) - 1) }
        if (w ~ /^[A-Z][A-Z_]*(\.\.\.)?$/ && section != "ENVIRONMENT") w = "\\fI" w "\\fR"
        else { gsub(/-/, "\\-", w); w = "\\fB" w "\\fR" }
        out = out (i > 1 ? " " : "") w tail
    }
    return out
}

NR == 1 {
    sub(/^logview: /, "")
    print ".\\\" Made from `logview --help` by docs/help2man.awk (make man): edit src/config.rs, not this."
    print ".TH LOGVIEW 1 \"\" \"logview " version "\" \"User Commands\""
    print ".SH NAME"
    print "logview \\- " esc($0)
    next
}

/^[A-Z][A-Z ]*:$/ {
    section = substr($0, 1, length($0) - 1)
    print ".SH " (section == "USAGE" ? "SYNOPSIS" : section)
    para = 0
    next
}

/^$/ { para = 0; next }

section == "USAGE" {
    line = $0; sub(/^ +/, "", line)
    split(line, w, " ")
    rest = substr(line, length(w[1]) + 2)
    if (w[1] == "logview" && rest ~ /^[a-z]/) {
        split(rest, c, " ")
        print "\\fBlogview\\fR \\fB" c[1] "\\fR " text(substr(rest, length(c[1]) + 2))
    } else print "\\fB" w[1] "\\fR " text(rest)
    print ".br"
    next
}

section == "ARGS" || section == "OPTIONS" || section == "COMMANDS" || section == "ENVIRONMENT" {
    head = substr($0, 1, 26); body = substr($0, 27)
    if (head ~ /[^ ]/) {
        sub(/^ +/, "", head); sub(/ +$/, "", head)
        print ".TP"
        print term(head)
    }
    if (body != "") print text(body)
    next
}

{
    line = $0; sub(/^ +/, "", line)
    if (!para) { print ".PP"; para = 1 }
    print text(line)
}
