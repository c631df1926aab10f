/// The API's contract. docs/openapi.json is its one hand-edited statement; this binary serves that
/// file's bytes at GET /openapi.json, and its request checks use the defaults and maxima it states.
///
/// The members come from `OpenAPIDocument+Generated.swift`, which the EmbedOpenAPI build-tool
/// plugin (Plugins/EmbedOpenAPI, running the tool in Sources/OpenAPIEmbed) writes from
/// docs/openapi.json at every build that follows a change to it:
///
///     json                      the document, byte for byte
///     defaultMaxTokens, defaultTemperature, defaultTopP, defaultTopK, defaultChoices (n),
///     maxLogprobs, maxStops, defaultActivationLayer
///                               each read from where the document states it (the tool's
///                               `stated` table names the JSON pointers)
///
/// So nothing is committed twice and nothing can drift: an edit to the document is what the next
/// build serves and checks, and a document that is not JSON or lacks one of those numbers fails
/// the build with its pointer. The few limits the document states only in prose (413's "1 MiB",
/// the activations' 2^20 numbers and 16 units) are checked against their Swift constants by
/// `OpenAPIContractTests`, as are the routes (`APIResponder.routes`) against its `paths`.
///
/// Compiled in rather than a SwiftPM resource: `Bundle.module` looks for
/// `charnn_CharnnServer.resources` beside the executable (symlinks resolved), then at the absolute
/// path of the build folder it was built in, and stops the process (`fatalError`) when neither is
/// there. A `charnn` linked into ~/.local/bin would find it; a copied one only while that build
/// folder lives (tried on Swift 6.3: SIGILL once `.build` was moved away).
enum OpenAPIDocument {}
