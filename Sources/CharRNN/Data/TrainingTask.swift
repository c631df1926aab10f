import Foundation

/// What a model learns. The language model predicts the next character; the restoration tasks
/// read a degraded text and predict, at each position, the original character. Their degradations
/// are computed from any corpus, so no labelled data is needed.
public enum TrainingTask: String, Sendable, CaseIterable, Codable {
    case lm
    /// Diacritics and tone marks stripped through canonical decomposition ("Tiếng Việt" → "Tieng
    /// Viet"; likewise any Latin-script letter), and đ/Đ → d/D.
    case restoreDiacritics = "restore-diacritics"
    /// Lower-cased.
    case restoreCase = "restore-case"
}
