/// The matched brackets of C-family source code (C, C++, Java, Swift, Lua's own C sources…), as
/// recall sites: each closing bracket `)`, `]` or `}` is a target, the bracket it closes its cue.
///
/// A small lexer skips what is not code: `/* … */` and `// …` comments, and `"…"` and `'…'` literals
/// (with backslash escapes; a line break ends an unterminated literal, so one stray quote costs one
/// line). Openers go on a stack; a closer of the kind on top is matched with it. A closer of another
/// kind means the text has lost its balance here (a `#if` with two openers and one closer, say): no
/// site is made and the stack is emptied, so that no later site pairs brackets across the break.
public enum BracketPairs {
    public static let closerOfOpener: [Unicode.Scalar: Unicode.Scalar] = ["(": ")", "[": "]", "{": "}"]
    public static let closers: [Unicode.Scalar] = [")", "]", "}"]

    private enum LexerState { case code, lineComment, blockComment, string, character }

    /// The sites of `text`, sorted by target.
    public static func sites(in text: [Unicode.Scalar]) -> [RecallSite] {
        var sites: [RecallSite] = []
        var open: [(offset: Int, closer: Unicode.Scalar)] = []
        var state = LexerState.code
        var i = 0
        while i < text.count {
            let c = text[i]
            let next: Unicode.Scalar? = i + 1 < text.count ? text[i + 1] : nil
            switch state {
            case .code:
                if c == "/", next == "*" {
                    state = .blockComment
                    i += 1
                } else if c == "/", next == "/" {
                    state = .lineComment
                    i += 1
                } else if c == "\"" {
                    state = .string
                } else if c == "'" {
                    state = .character
                } else if let closer = closerOfOpener[c] {
                    open.append((i, closer))
                } else if closers.contains(c), let top = open.last {
                    if top.closer == c {
                        sites.append(RecallSite(cue: top.offset, target: i))
                        open.removeLast()
                    } else {
                        open.removeAll()
                    }
                }
            case .blockComment:
                if c == "*", next == "/" {
                    state = .code
                    i += 1
                }
            case .lineComment:
                if c == "\n" { state = .code }
            case .string, .character:
                if c == "\\" {
                    i += 1
                } else if c == "\n" || (c == "\"" && state == .string) || (c == "'" && state == .character) {
                    state = .code
                }
            }
            i += 1
        }
        return sites
    }
}
