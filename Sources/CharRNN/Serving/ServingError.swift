/// What a serving request can fail with: each is the client's doing or a limit of the server, never
/// a fault of the model, and maps to one HTTP status in the server.
public enum ServingError: Error, Equatable, Sendable {
    /// The text has characters outside the vocabulary (listed once each, in order of appearance).
    case unknownCharacters([Unicode.Scalar])
    /// Every stream slot is taken.
    case tooManyStreams(limit: Int)
    /// Every session slot is taken.
    case tooManySessions(limit: Int)
    case unknownSession(String)
    /// The session is serving another request.
    case sessionBusy(String)
    /// Completions, scores and activations need a language model.
    case notLanguageModel(task: String)
    /// Restoration needs a restoration model.
    case notRestorationModel
    /// The text is longer than the request may be.
    case textTooLong(characters: Int, limit: Int)
    /// Scoring needs at least two known characters.
    case nothingToScore(known: Int)
    /// The layer does not exist, or has no such quantity (a GRU has no cell).
    case noSuchLayer(String)
    /// The server is shutting down.
    case shuttingDown
}
