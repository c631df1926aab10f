import Foundation

/// The JSON lines the inspection commands print, one object per character: `sample --probs`,
/// `next --json`, `eval --per-char`. A character is its vocabulary symbol (for a byte-level model
/// byte v is U+00vv, as in the checkpoint's `vocab`).
public enum JSONLines {
    /// `{"char": c, "p": p, "top": [[c₁, p₁], …]}`, and `"sample": i` when several samples are printed.
    public static func generated(_ id: Int32, probability: Double, top: [(id: Int32, probability: Double)],
                                 vocabulary: Vocabulary, sample: Int? = nil) -> String {
        var line = "{\"char\":\(symbol(id, vocabulary)),\"p\":\(number(probability)),\"top\":\(pairs(top, vocabulary))"
        if let sample { line += ",\"sample\":\(sample)" }
        return line + "}"
    }

    /// `{"top": [[c₁, p₁], …]}`: the distribution after a text.
    public static func distribution(_ top: [(id: Int32, probability: Double)], vocabulary: Vocabulary) -> String {
        "{\"top\":\(pairs(top, vocabulary))}"
    }

    /// `{"char": c, "loss": nats}`: one scored position.
    public static func loss(_ id: Int32, nats: Double, vocabulary: Vocabulary) -> String {
        "{\"char\":\(symbol(id, vocabulary)),\"loss\":\(number(nats))}"
    }

    static func pairs(_ top: [(id: Int32, probability: Double)], _ vocabulary: Vocabulary) -> String {
        "[" + top.map { "[\(symbol($0.id, vocabulary)),\(number($0.probability))]" }.joined(separator: ",") + "]"
    }

    static func symbol(_ id: Int32, _ vocabulary: Vocabulary) -> String { quoted(vocabulary.symbol(id)) }

    /// `text` as a JSON string literal, as these lines write characters.
    public static func quoted(_ text: String) -> String { JSONString.quoted(text) }

    /// Seven significant digits: a Float's precision.
    static func number(_ value: Double) -> String { String(format: "%.7g", value) }
}
