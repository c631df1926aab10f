import Foundation

/// One model the budget rule can choose: the architecture and window flags of `charnn train`.
public struct ModelRecipe: Equatable, Sendable {
    public var cell: CellKind
    public var layerCount: Int
    public var hiddenSize: Int
    public var batch: Int
    public var seq: Int

    public init(cell: CellKind = .lstm, layerCount: Int, hiddenSize: Int, batch: Int = 50, seq: Int) {
        (self.cell, self.layerCount, self.hiddenSize, self.batch, self.seq) = (cell, layerCount, hiddenSize, batch, seq)
    }

    public func config(vocabularySize: Int) -> ModelConfig {
        ModelConfig(cell: cell, layerCount: layerCount, hiddenSize: hiddenSize,
                    embeddingSize: TrainingDefaults.embeddingSize, vocabularySize: vocabularySize)
    }

    /// "LSTM 2×512, seq 100"
    public var label: String { "\(cell.displayName) \(layerCount)×\(hiddenSize)" }
}

/// The model flags a user gave: each one is kept and the rule chooses the rest around it.
public struct GivenModelFlags: Equatable, Sendable {
    public var cell: CellKind?
    public var layerCount: Int?
    public var hiddenSize: Int?
    public var dropout: Double?
    public var batch: Int?
    public var seq: Int?
    public var learningRate: Double?
    public var lockedDropout: Bool?
    public var weightDropout: Double?
    public var embeddingDropout: Double?
    /// `--ensemble`: models trained and mixed.
    public var members: Int?

    public init(cell: CellKind? = nil, layerCount: Int? = nil, hiddenSize: Int? = nil, dropout: Double? = nil,
                batch: Int? = nil, seq: Int? = nil, learningRate: Double? = nil, lockedDropout: Bool? = nil,
                weightDropout: Double? = nil, embeddingDropout: Double? = nil, members: Int? = nil) {
        (self.cell, self.layerCount, self.hiddenSize, self.dropout) = (cell, layerCount, hiddenSize, dropout)
        (self.batch, self.seq, self.learningRate, self.lockedDropout) = (batch, seq, learningRate, lockedDropout)
        (self.weightDropout, self.embeddingDropout, self.members) = (weightDropout, embeddingDropout, members)
    }

    /// Every flag the rule would choose is given: nothing is left to choose.
    var leavesNothing: Bool {
        cell != nil && layerCount != nil && hiddenSize != nil && dropout != nil && batch != nil && seq != nil
            && learningRate != nil
    }

    func applied(to recipe: ModelRecipe) -> ModelRecipe {
        ModelRecipe(cell: cell ?? recipe.cell, layerCount: layerCount ?? recipe.layerCount,
                    hiddenSize: hiddenSize ?? recipe.hiddenSize, batch: batch ?? recipe.batch, seq: seq ?? recipe.seq)
    }
}

/// What `charnn train --time T` (or `--steps N`) trains when the model is left to it.
///
/// The rule climbs a ladder of models, each larger and slower than the one before, and keeps the
/// largest one that (a) the budget lets train at least its rung's characters — below that the
/// smaller model before it, trained for longer, validated better in the sweep — and (b) the corpus
/// can feed: at most `parametersPerCharacter` parameters per training character. The speed behind
/// (a) is measured on this machine before training (a few timed steps of each candidate), so a
/// slow or busy machine chooses smaller. Dropout grows with the epochs the budget allows and the
/// parameters per character, as overfitting does.
///
/// Fitted on `docs/budget-sweep-tinyshakespeare.csv` (`scripts/budget-sweep.sh`, the grid beside
/// it): each run trains a model for a fixed number of steps with a cosine schedule to its end, so a
/// row is a point (model, characters trained) → best validation that the machine's load cannot move.
public enum BudgetRule {
    public struct Rung: Sendable {
        public var recipe: ModelRecipe
        /// Characters trained within the budget from which this rung beats the one before.
        public var minimumCharacters: Double
    }

    /// The ladder, smallest first. Each rung's model is 3.3–3.6× slower than the one before, so a
    /// rung's threshold compares it with the model before trained on that many times its characters
    /// (sweep rows with the rule's dropout and `--ema 0.995`, nats/char): 2×256 at 8 M characters
    /// 1.5620 against 2×128 at 28 M 1.5587, at 10.5 M 1.5365 against 35 M 1.5466 → from 9 M;
    /// 2×512 at 5 M 1.5296 against 2×256 at 16.5 M 1.5064, at 9.8 M 1.4834 (a 30-minute run) against
    /// 26 M 1.5148 → from 7.5 M, where 2×512's curve between those two points (log-linear) passes
    /// 2×256's 1.50–1.51 (Zen 3, 2026-12-07; before, 6 M and 12 M were guesses between points).
    public static let ladder: [Rung] = [
        Rung(recipe: ModelRecipe(layerCount: 1, hiddenSize: 128, seq: 50), minimumCharacters: 0),
        Rung(recipe: ModelRecipe(layerCount: 2, hiddenSize: 128, seq: 50), minimumCharacters: 2e6),
        Rung(recipe: ModelRecipe(layerCount: 2, hiddenSize: 256, seq: 100), minimumCharacters: 9e6),
        Rung(recipe: ModelRecipe(layerCount: 2, hiddenSize: 512, seq: 100), minimumCharacters: 7.5e6),
        Rung(recipe: ModelRecipe(layerCount: 3, hiddenSize: 512, seq: 100), minimumCharacters: 40e6),
    ]

    /// At most this many parameters per training character: tinyshakespeare (1.06 M characters)
    /// still gained from 3.3 M parameters with dropout.
    public static let parametersPerCharacter = 4.0
    public static let learningRate = 2e-3
    /// Share of a time budget that trains (the rest validates and saves).
    static let trainingShare = 0.95

    /// Seconds of steps timed per candidate: 0.2% of a time budget, from half a second to five (at
    /// most about 1% of the budget for the whole ladder; the median step is taken, so a burst of
    /// other work on a shared machine moves it less than it moved the faster of two steps).
    public static func timingSpan(budget: TrainingBudget) -> Double {
        guard let seconds = budget.seconds else { return 0 }
        return min(5, max(0.5, seconds * 0.002))
    }

    /// Inverted dropout for a model of `parameters` that sees `trainingCharacters` `epochs` times.
    /// Overfitting grows with both the passes and the parameters per character, so the rule reads
    /// their product, the exposure x = epochs · parameters / characters:
    /// p = 0.1 · (log₂ x − 2), clamped to [0, 0.5] and rounded to 0.05 (none up to x = 4).
    /// Sweep points: LSTM 2×128 at 17.5 epochs (x = 4.0) validated 1.5763 without dropout, 1.5807
    /// with 0.2 and 1.6671 with 0.45.
    public static func dropout(epochs: Double, parameters: Int, trainingCharacters: Int) -> Double {
        let exposure = exposure(epochs: epochs, parameters: parameters, trainingCharacters: trainingCharacters)
        guard exposure > 4 else { return 0 }
        let p = min(0.5, max(0, 0.1 * (Foundation.log2(exposure) - 2)))
        return (p * 20).rounded() / 20
    }

    /// Epochs times parameters per training character: how far a model can overfit a corpus.
    static func exposure(epochs: Double, parameters: Int, trainingCharacters: Int) -> Double {
        epochs * Double(parameters) / Double(max(trainingCharacters, 1))
    }

    /// From this exposure on dropout is at its bound (0.5) and the rule adds DropConnect and
    /// embedding dropout.
    public static let heavyExposure = 128.0
    /// DropConnect on weight_hh and embedding dropout past `heavyExposure`. Sweep points
    /// (`docs/budget-sweep-vi-truyenkieu.csv`: Truyện Kiều, 97.6 k training characters, LSTM 2×128
    /// with dropout 0.5 locked, the 15,000 steps of 5 minutes, 378 epochs, exposure ≈ 930): 1.6626
    /// alone, 1.6122 with DropConnect 0.5, 1.5837 with DropConnect 0.5 and embedding dropout 0.1.
    /// Below the bound it is not used: on tinyshakespeare DropConnect 0.2 cost 0.0127 at 5 minutes
    /// (2×256, exposure 8.2), and 0.5 gained nothing at 60 minutes (2×512, exposure ≈ 90).
    public static func extraRegularisation(exposure: Double) -> (weightDropout: Double, embeddingDropout: Double) {
        exposure >= heavyExposure ? (0.5, 0.1) : (0, 0)
    }

    /// Every chosen run also validates a weight average spanning about the last 200 steps (`--ema`;
    /// each validation keeps the lower of it and the weights as trained, so it cannot lose).
    /// Measured on the hour's model (LSTM 2×512, dropout 0.45 locked, cosine over 7,000 steps, one
    /// run scoring four averages): as trained 1.5319 / 1.4959 / 1.4913 at steps 1,000 / 1,600 /
    /// 2,000; averaged with decay 0.99 1.5150 / 1.4761 / 1.4777, 0.995 1.5236 / 1.4794 / 1.4765,
    /// 0.998 1.5720 / 1.4876 / 1.4756, 0.999 1.6168 / 1.5191 / 1.4880. 0.995 is within 0.003 of
    /// the best of them from step 1,400 on.
    public static let weightAverageDecay = 0.995

    /// A time budget of at least two of these trains an ensemble of members of this long each (at most
    /// `maximumMembers`), each member the model the rule chooses for its share; the ensemble predicts the
    /// mean of their probabilities (`Mixture`). On tinyshakespeare one model stops gaining long before an
    /// hour — LSTM 2×512 validated 1.4854 at 30 minutes and 1.4716 at 60, overfitting from its 20th
    /// minute — while two models mix well: `charnn eval --per-char` on the last 5% of the text, models
    /// of this LSTM 2×512 trained 27–57 minutes with dropout 0.35–0.5 (one text, one stream; alone 1.4678,
    /// 1.4718, 1.4807, 1.4782), every pair mixed 1.4416–1.4476 except the two of the same seed and
    /// length (1.4585), all four 1.4324 (`docs/ensemble-pairs-tinyshakespeare.csv`).
    public static let memberSeconds = 1800.0
    public static let maximumMembers = 4

    /// An ensemble's members take these cells in turn (the rest of the recipe alike) unless the user
    /// gives `--cell`: models of two cells err apart more than two seeds of one. Measured on
    /// tinyshakespeare (Zen 3, 2026-12-07; `charnn eval` on the last 55,769 characters): the hour's two
    /// LSTM 2×512 members (seeds 1 and 2, dropout 0.3 locked, `--ema 0.995`) mixed 1.4487; a GRU 2×512
    /// of the same flags (seed 2, 2,400 steps cosine, best at step 1,600, `docs/budget-sweep-tinyshakespeare.csv`)
    /// mixed with either of them 1.4241 and 1.4284. The GRU also trains 1.2–1.4× as many characters in
    /// the member's half hour.
    public static let memberCells: [CellKind] = [.lstm, .gru]

    /// Each member's cell: the chosen one for one member or a given `--cell`, else `memberCells` in turn.
    static func cells(members: Int, chosen: CellKind, given: CellKind?) -> [CellKind] {
        if members < 2 || given != nil { return Array(repeating: chosen, count: members) }
        return (0..<members).map { memberCells[$0 % memberCells.count] }
    }

    /// Members for a budget when the user gives no `--ensemble`: ⌊seconds / memberSeconds⌋ from two on.
    public static func members(for budget: TrainingBudget) -> Int {
        guard let seconds = budget.seconds else { return 1 }
        let count = Int((seconds / memberSeconds).rounded(.down))
        return count >= 2 ? min(count, maximumMembers) : 1
    }

    /// A model considered, with what the rule found.
    public struct Candidate: Sendable {
        public var recipe: ModelRecipe
        public var parameterCount: Int
        /// Characters per second measured on this machine (nil: not measured).
        public var charactersPerSecond: Double?
        /// Characters it would train within the budget (nil: not known).
        public var charactersInBudget: Double?
        public var verdict: Verdict
    }

    public enum Verdict: Equatable, Sendable {
        case chosen
        case smallerThanChosen
        case tooLargeForCorpus(limit: Int)
        case tooSlowForBudget(needs: Double)
        case notMeasured
    }

    /// Chooses the model for a corpus of `trainingCharacters` and `budget` (seconds or steps) around
    /// the `given` flags; `speed` measures a recipe's training characters per second (called only for
    /// a time budget, in ladder order, and not past the first candidate the budget is too short for).
    /// A window no larger than `validationCharacters` allows (the validation text is laid out in the
    /// same windows) is chosen where batch and seq are not given: fewer streams first, then shorter ones.
    /// With `ensembles` (a single process) a long time budget is shared by `members(for:)` members and
    /// each member's model is chosen for its share.
    public static func choose(trainingCharacters: Int, validationCharacters: Int = .max, vocabularySize: Int,
                              budget totalBudget: TrainingBudget, given: GivenModelFlags, ensembles: Bool = true,
                              speed: (ModelRecipe) -> Double) -> BudgetChoice {
        let members = given.members ?? (ensembles ? members(for: totalBudget) : 1)
        let budget = totalBudget.seconds.map { TrainingBudget.seconds($0 / Double(members)) } ?? totalBudget
        var recipes: [(ModelRecipe, Double)] = []
        for rung in ladder {
            var recipe = given.applied(to: rung.recipe)
            let room = max(validationCharacters, 2) - 1
            if given.batch == nil, recipe.batch * recipe.seq > room { recipe.batch = max(1, room / recipe.seq) }
            if given.seq == nil, recipe.batch * recipe.seq > room { recipe.seq = max(1, room / recipe.batch) }
            if let last = recipes.last, last.0 == recipe { continue }
            recipes.append((recipe, rung.minimumCharacters))
        }
        let corpusLimit = Int(parametersPerCharacter * Double(trainingCharacters))
        var candidates: [Candidate] = []
        var chosen = 0
        var stopped = false
        for (index, (recipe, minimum)) in recipes.enumerated() {
            let parameters = ParameterLayout(recipe.config(vocabularySize: vocabularySize)).totalCount
            var candidate = Candidate(recipe: recipe, parameterCount: parameters, charactersPerSecond: nil,
                                      charactersInBudget: nil, verdict: .notMeasured)
            defer { candidates.append(candidate) }
            if stopped { continue }
            if index > 0, parameters > corpusLimit {
                candidate.verdict = .tooLargeForCorpus(limit: corpusLimit)
                stopped = true
                continue
            }
            switch budget {
            case .steps(let steps):
                candidate.charactersInBudget = Double(steps * recipe.batch * recipe.seq)
            case .seconds(let seconds):
                let rate = speed(recipe)
                candidate.charactersPerSecond = rate
                candidate.charactersInBudget = rate * seconds * trainingShare
            case .epochs(let epochs):
                candidate.charactersInBudget = Double(epochs * trainingCharacters)
            }
            if index > 0, let characters = candidate.charactersInBudget, characters < minimum {
                candidate.verdict = .tooSlowForBudget(needs: minimum)
                stopped = true
                continue
            }
            chosen = index
        }
        for i in candidates.indices where i < chosen { candidates[i].verdict = .smallerThanChosen }
        candidates[chosen].verdict = .chosen
        let pick = candidates[chosen]
        let epochs = (pick.charactersInBudget ?? 0) / Double(max(trainingCharacters, 1))
        let chosenDropout = dropout(epochs: epochs, parameters: pick.parameterCount,
                                    trainingCharacters: trainingCharacters)
        let finalDropout = given.dropout ?? chosenDropout
        let extra = extraRegularisation(exposure: exposure(epochs: epochs, parameters: pick.parameterCount,
                                                           trainingCharacters: trainingCharacters))
        return BudgetChoice(recipe: pick.recipe, dropout: finalDropout,
                            lockedDropout: given.lockedDropout ?? (finalDropout > 0),
                            weightDropout: given.weightDropout ?? extra.weightDropout,
                            embeddingDropout: given.embeddingDropout ?? extra.embeddingDropout,
                            learningRate: given.learningRate ?? learningRate, averageDecay: weightAverageDecay,
                            expectedEpochs: epochs, budget: budget, trainingCharacters: trainingCharacters,
                            candidates: candidates,
                            memberCells: cells(members: members, chosen: pick.recipe.cell, given: given.cell),
                            totalBudget: totalBudget)
    }
}

/// The budget rule's answer: the model, its dropout and rate, and every candidate with its verdict.
public struct BudgetChoice: Sendable {
    public var recipe: ModelRecipe
    public var dropout: Double
    /// Locked (variational) masks whenever there is dropout, unless the user said otherwise: they
    /// validated better than per-character masks in the sweep, at 5 and at 30 minutes.
    public var lockedDropout: Bool
    /// DropConnect on weight_hh and embedding dropout (`BudgetRule.extraRegularisation`); 0: none.
    public var weightDropout: Double
    public var embeddingDropout: Double
    public var learningRate: Double
    /// `--ema` (`BudgetRule.weightAverageDecay`).
    public var averageDecay: Double
    /// Epochs the chosen model is expected to train within the budget.
    public var expectedEpochs: Double
    public var budget: TrainingBudget
    public var trainingCharacters: Int
    public var candidates: [BudgetRule.Candidate]
    /// Each member's cell (`BudgetRule.cells`); the rest of every member's recipe is `recipe`.
    public var memberCells: [CellKind]
    /// Models trained for the budget; from 2 an ensemble, each member trained for `budget`.
    public var members: Int { memberCells.count }
    /// The whole budget: `budget` times `members` for time.
    public var totalBudget: TrainingBudget
    /// Seconds spent timing the candidates.
    public var measuringSeconds = 0.0

    var chosen: BudgetRule.Candidate { candidates.first { $0.verdict == .chosen }! }

    /// Cosine warm-up: 2% of the steps the budget is expected to give, at least 20 but never more
    /// than a tenth of them.
    public var warmupSteps: Int {
        let steps = (chosen.charactersInBudget ?? 0) / Double(recipe.batch * recipe.seq)
        return min(max(20, Int(steps * 0.02)), Int(steps * 0.1))
    }

    /// The plan line: "--time 60m, 1.06 M training characters, 9.7k chars/s at LSTM 2×512 →
    /// LSTM 2×512, dropout 0.35, seq 100".
    public var summary: String {
        var parts: [String] = [BudgetChoice.describe(totalBudget)]
        if members > 1 { parts.append("an ensemble of \(members) members of \(BudgetChoice.describe(budget, flag: false)) each") }
        parts.append("\(BudgetChoice.millions(trainingCharacters)) training characters")
        if let rate = chosen.charactersPerSecond {
            parts.append("\(BudgetChoice.thousands(rate)) chars/s at \(recipe.label)")
        }
        parts.append(String(format: "%.1f epochs", expectedEpochs))
        let timed = candidates.contains { $0.charactersPerSecond != nil }
            ? String(format: " (speeds timed in %.1f s)", measuringSeconds) : ""
        return parts.joined(separator: ", ") + " → \(memberLabels), dropout \(BudgetChoice.decimal(dropout))"
            + (lockedDropout ? " (locked), " : ", ")
            + (weightDropout > 0 ? "DropConnect \(BudgetChoice.decimal(weightDropout)), " : "")
            + (embeddingDropout > 0 ? "embedding dropout \(BudgetChoice.decimal(embeddingDropout)), " : "")
            + "batch \(recipe.batch) × seq \(recipe.seq), lr \(BudgetChoice.decimal(learningRate)), "
            + "--ema \(BudgetChoice.decimal(averageDecay))" + timed
    }

    /// The model, or each distinct member's in turn: "LSTM 2×512 and GRU 2×512".
    var memberLabels: String {
        var labels: [String] = []
        for cell in memberCells {
            var member = recipe
            member.cell = cell
            if !labels.contains(member.label) { labels.append(member.label) }
        }
        return labels.joined(separator: " and ")
    }

    /// One line per candidate, for `--explain`.
    public var explanation: [String] {
        candidates.map { c in
            var line = "\(c.recipe.label), batch \(c.recipe.batch) × seq \(c.recipe.seq): "
                + "\(ProgressPrinter.grouped(c.parameterCount)) parameters"
            if let rate = c.charactersPerSecond { line += ", \(BudgetChoice.thousands(rate)) chars/s" }
            if let n = c.charactersInBudget { line += ", \(BudgetChoice.millions(Int(n))) characters in the budget" }
            switch c.verdict {
            case .chosen: line += " — chosen"
            case .smallerThanChosen: line += " — a larger model fits"
            case .tooLargeForCorpus(let limit):
                line += " — too large for the corpus (at most \(ProgressPrinter.grouped(limit)) parameters)"
            case .tooSlowForBudget(let needs):
                line += " — the budget is too short (it pays from \(BudgetChoice.millions(Int(needs))) characters)"
            case .notMeasured: line += " — not measured (a smaller model already failed)"
            }
            return line
        }
    }

    static func describe(_ budget: TrainingBudget, flag: Bool = true) -> String {
        switch budget {
        case .seconds(let s):
            let whole = Int(s.rounded()), prefix = flag ? "--time " : ""
            if Double(whole) != s { return prefix + "\(s)s" }
            return prefix + (whole % 3600 == 0 ? "\(whole / 3600)h" : whole % 60 == 0 ? "\(whole / 60)m" : "\(whole)s")
        case .steps(let n): return "--steps \(n)"
        case .epochs(let n): return "--epochs \(n)"
        }
    }

    static func millions(_ n: Int) -> String { String(format: "%.2f M", Double(n) / 1e6) }
    static func thousands(_ x: Double) -> String { String(format: "%.1fk", x / 1000) }
    static func decimal(_ x: Double) -> String {
        var s = String(format: "%.4g", x)
        if s.contains("e") { s = String(x) }
        return s
    }
}
