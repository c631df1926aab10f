import CharRNN
import Foundation

/// The model as GET /v1/models lists it: OpenAI's fields (`id` = the checkpoint's name, owned by
/// charnn) and charnn's own, which the playground shows as the model's card.
enum ModelCard {
    static func json(_ served: ServedModel) -> [String: Any] {
        let config = served.config
        var card: [String: Any] = [
            "id": served.name, "object": "model", "created": 0, "owned_by": "charnn",
            "cell": config.cell.rawValue, "layers": config.layerCount, "hidden": config.hiddenSize,
            "embedding": config.embeddingSize, "parameters": served.parameterCount,
            "vocabulary_size": served.vocabulary.count, "task": served.task.rawValue,
            "tokenization": served.vocabulary.tokenization.rawValue, "normalization": served.normalization.rawValue,
            "bidirectional": config.bidirectional, "cell_state": config.cell.carriesCellState,
            "weights": served.weights.rawValue,
        ]
        if config.cell.takesGRUVariant { card["gru_variant"] = config.gruVariant.rawValue }
        if let training = served.training {
            card["training_step"] = training.step
            if let loss = training.bestValidationLoss { card["best_validation_bits_per_char"] = loss / log(2.0) }
        }
        return card
    }
}
