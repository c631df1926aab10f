import Foundation
import XCTest
@testable import CharRNN

/// The engine's forward pass (gate blocks fused, input projections hoisted into one GEMM, the
/// reverse direction run on a time-reversed copy) against a naive one written here straight from
/// PyTorch's equations: one gate, one stream and one step at a time, in Double, reading every
/// weight by its `state_dict` name. They must agree to 1e-12 on the logits, the carried state and
/// the loss.
final class ReferenceForwardTests: XCTestCase {
    // V = 7, E = 5, H = 4, B = 3, T = 6: every dimension distinct, so a transposed index shows.
    static let (V, E, H, B, T) = (7, 5, 4, 3, 6)

    func testLSTMMatchesReference() throws {
        try assertEngineMatchesReference(ModelConfig(cell: .lstm, layerCount: 1, hiddenSize: Self.H,
                                                     embeddingSize: Self.E, vocabularySize: Self.V))
    }

    func testGRUResetBeforeMatchesReference() throws {
        try assertEngineMatchesReference(ModelConfig(cell: .gru, gruVariant: .resetBefore, layerCount: 1,
                                                     hiddenSize: Self.H, embeddingSize: Self.E, vocabularySize: Self.V))
    }

    func testGRUResetAfterMatchesReference() throws {
        try assertEngineMatchesReference(ModelConfig(cell: .gru, gruVariant: .resetAfter, layerCount: 1,
                                                     hiddenSize: Self.H, embeddingSize: Self.E, vocabularySize: Self.V))
    }

    func testLayerNormLSTMMatchesReference() throws {
        try assertEngineMatchesReference(ModelConfig(cell: .layerNormLSTM, layerCount: 1, hiddenSize: Self.H,
                                                     embeddingSize: Self.E, vocabularySize: Self.V))
    }

    func testStackedLayersMatchReference() throws {
        for (cell, variant, layers) in [(CellKind.lstm, GRUVariant.resetBefore, 3), (.gru, .resetBefore, 2),
                                        (.gru, .resetAfter, 3), (.layerNormLSTM, .resetBefore, 2)] {
            try assertEngineMatchesReference(ModelConfig(cell: cell, gruVariant: variant, layerCount: layers,
                                                         hiddenSize: Self.H, embeddingSize: Self.E,
                                                         vocabularySize: Self.V))
        }
    }

    func testBidirectionalLayersMatchReference() throws {
        for (cell, variant, layers) in [(CellKind.lstm, GRUVariant.resetBefore, 2), (.gru, .resetBefore, 2),
                                        (.gru, .resetAfter, 1), (.lstm, .resetBefore, 3), (.layerNormLSTM, .resetBefore, 2)] {
            try assertEngineMatchesReference(ModelConfig(cell: cell, gruVariant: variant, layerCount: layers,
                                                         hiddenSize: Self.H, embeddingSize: Self.E,
                                                         vocabularySize: Self.V, bidirectional: true))
        }
    }

    /// The comparison can fail: a reference that reads two gate blocks swapped, takes the other GRU
    /// variant, runs the reverse direction forwards in time or carries the states in direction-major
    /// order is far from the engine, so the engine making any of these mistakes would be caught.
    func testComparisonCatchesAWrongReference() throws {
        let lstm = ModelConfig(cell: .lstm, layerCount: 2, hiddenSize: Self.H, embeddingSize: Self.E,
                               vocabularySize: Self.V, bidirectional: true)
        var gru = lstm
        gru.cell = .gru
        gru.gruVariant = .resetAfter
        var normalized = lstm
        normalized.cell = .layerNormLSTM
        let mutants: [(String, ModelConfig, (inout ReferenceModel) -> Void)] = [
            ("LSTM i and f swapped", lstm, { $0.gateOrder = [1, 0, 2, 3] }),
            ("LSTM g and o swapped", lstm, { $0.gateOrder = [0, 1, 3, 2] }),
            ("LSTM in TensorFlow's (i, g, f, o) order", lstm, { $0.gateOrder = [0, 2, 1, 3] }),
            ("GRU r and z swapped", gru, { $0.gateOrder = [1, 0, 2] }),
            ("GRU z and n swapped", gru, { $0.gateOrder = [0, 2, 1] }),
            ("GRU reset-after read as reset-before", gru, { $0.variant = .resetBefore }),
            ("LSTM-LN input normalisation dropped", normalized, { $0.skippedNormalizations = ["ih"] }),
            ("LSTM-LN recurrent normalisation dropped", normalized, { $0.skippedNormalizations = ["hh"] }),
            ("LSTM-LN cell normalisation dropped", normalized, { $0.skippedNormalizations = ["c"] }),
            ("LSTM-LN f and o swapped", normalized, { $0.gateOrder = [0, 3, 2, 1] }),
            ("reverse direction not reversed", lstm, { $0.reverseTime = false }),
            ("states direction-major", lstm, { $0.directionMajorStates = true }),
        ]
        for (name, config, mutate) in mutants {
            let (engine, _) = runEngine(config)
            var reference = try ReferenceModel(engine.model)
            mutate(&reference)
            let expected = reference.run(inputs: engine.inputs, B: Self.B, T: Self.T, h0: engine.h0, c0: engine.c0)
            let difference = max(maxDifference(engine.logits, expected.logits.flatMap { $0.flatMap { $0 } }),
                                 maxDifference(engine.finalH, flatten(expected.h)))
            XCTAssertGreaterThan(difference, 1e-3, name)
        }
    }

    /// `forward` scores the same window as the reference's mean cross-entropy,
    ///
    ///     loss = (1 / T·B) Σ_{t,b} (log Σ_v e^{z_{t,b,v}} − z_{t,b,y_{t,b}})
    ///
    /// and leaves the softmax of the reference's logits in `logits`.
    func testLossIsReferenceMeanCrossEntropy() throws {
        for config in [
            ModelConfig(cell: .lstm, layerCount: 2, hiddenSize: Self.H, embeddingSize: Self.E, vocabularySize: Self.V),
            ModelConfig(cell: .gru, gruVariant: .resetAfter, layerCount: 2, hiddenSize: Self.H,
                        embeddingSize: Self.E, vocabularySize: Self.V, bidirectional: true),
        ] {
            let (engine, workspace) = runEngine(config)
            let reference = try ReferenceModel(engine.model)
            let expected = reference.run(inputs: engine.inputs, B: Self.B, T: Self.T, h0: engine.h0, c0: engine.c0)
            var total = 0.0
            var probabilities: [Double] = []
            for t in 0..<Self.T {
                for b in 0..<Self.B {
                    let z = expected.logits[t][b]
                    let peak = z.max()!
                    let sum = z.reduce(0) { $0 + exp($1 - peak) }
                    total += peak + log(sum) - z[Int(engine.targets[t * Self.B + b])]
                    probabilities += z.map { exp($0 - peak) / sum }
                }
            }
            // The workspace has carried its state on: start it again from h0, c0.
            _ = workspace.stateH.update(fromContentsOf: flatten(engine.h0))
            _ = workspace.stateC.update(fromContentsOf: flatten(engine.c0))
            let loss = workspace.forward()
            XCTAssertEqual(loss, total / Double(Self.T * Self.B), accuracy: 1e-12, "\(config)")
            XCTAssertLessThan(maxDifference(Array(workspace.logits), probabilities), 1e-12, "\(config)")
        }
    }

    // MARK: - Engine side

    /// What one engine pass saw and produced: the model, the window, the incoming state (L·directions,
    /// B, H) and, flat in the workspace's layouts, the raw logits and the carried final state.
    private struct EngineRun {
        let model: CharRNNModel<Double>
        let inputs: [Int32], targets: [Int32]
        let h0: [[[Double]]], c0: [[[Double]]]
        let logits: [Double], finalH: [Double], finalC: [Double]
    }

    /// Seeded weights, a random window and a random nonzero incoming state, run through `computeLogits`.
    /// Tensors a new model fills with a constant (layer normalisation's gains and shifts) get random
    /// values, so a reference that ignored them would differ.
    private func runEngine(_ config: ModelConfig) -> (EngineRun, UnrolledNetwork<Double>) {
        let model = CharRNNModel<Double>(config: config, seed: 42)
        let (B, T, H) = (Self.B, Self.T, Self.H)
        let workspace = UnrolledNetwork(model: model, batchSize: B, steps: T, withGradients: false)
        var generator = SplitMix64(seed: 7)
        for slot in model.layout.tensors {
            guard case .constant(let value) = slot.initial else { continue }
            for index in slot.offset..<(slot.offset + slot.count) {
                model.parameters[index] = value + 0.6 * generator.nextUnit() - 0.3
            }
        }
        let inputs = (0..<(T * B)).map { _ in Int32(generator.next() % UInt64(Self.V)) }
        let targets = (0..<(T * B)).map { _ in Int32(generator.next() % UInt64(Self.V)) }
        let states = config.layerCount * config.directionCount
        func randomState() -> [[[Double]]] {
            (0..<states).map { _ in (0..<B).map { _ in (0..<H).map { _ in 2 * generator.nextUnit() - 1 } } }
        }
        let h0 = randomState(), c0 = randomState()
        _ = workspace.inputs.update(fromContentsOf: inputs)
        _ = workspace.targets.update(fromContentsOf: targets)
        _ = workspace.stateH.update(fromContentsOf: flatten(h0))
        _ = workspace.stateC.update(fromContentsOf: flatten(c0))
        workspace.computeLogits()
        let run = EngineRun(model: model, inputs: inputs, targets: targets, h0: h0, c0: c0,
                            logits: Array(workspace.logits), finalH: Array(workspace.stateH),
                            finalC: Array(workspace.stateC))
        return (run, workspace)
    }

    private func assertEngineMatchesReference(_ config: ModelConfig, file: StaticString = #filePath,
                                              line: UInt = #line) throws {
        let (engine, _) = runEngine(config)
        let reference = try ReferenceModel(engine.model)
        let expected = reference.run(inputs: engine.inputs, B: Self.B, T: Self.T, h0: engine.h0, c0: engine.c0)
        let name = "\(config.cell) \(config.gruVariant) L=\(config.layerCount) bidirectional=\(config.bidirectional)"
        // Logits row t·B + b holds position (t, b).
        XCTAssertEqual(engine.logits.count, Self.T * Self.B * Self.V, name, file: file, line: line)
        XCTAssertLessThan(maxDifference(engine.logits, expected.logits.flatMap { $0.flatMap { $0 } }), 1e-12,
                          "logits, \(name)", file: file, line: line)
        XCTAssertLessThan(maxDifference(engine.finalH, flatten(expected.h)), 1e-12, "h, \(name)", file: file, line: line)
        if config.cell.carriesCellState {
            XCTAssertLessThan(maxDifference(engine.finalC, flatten(expected.c)), 1e-12, "c, \(name)", file: file, line: line)
        }
        // The window moved the state: a pass that skipped the recurrence would not get here.
        XCTAssertGreaterThan(maxDifference(engine.finalH, flatten(engine.h0)), 1e-2, name, file: file, line: line)
    }
}

// MARK: - The reference

/// A (rows, columns) or (count) tensor read out of the model's flat buffer by its `state_dict` name.
private struct NamedTensor {
    let values: [Double]
    let shape: [Int]
    subscript(row: Int, column: Int) -> Double { values[row * shape[1] + column] }
    subscript(index: Int) -> Double { values[index] }
}

/// PyTorch's model, one step at a time:
///
///     x⁰_{t,b} = embedding.weight[id_{t,b}]
///     LSTM, gates (i, f, g, o) in the rows of weight_ih (4H, D), weight_hh (4H, H), bias_ih, bias_hh:
///         i = σ(W_ii x + b_ii + W_hi h + b_hi)    f = σ(W_if x + b_if + W_hf h + b_hf)
///         g = tanh(W_ig x + b_ig + W_hg h + b_hg)  o = σ(W_io x + b_io + W_ho h + b_ho)
///         c′ = f ⊙ c + i ⊙ g                        h′ = o ⊙ tanh(c′)
///     GRU, gates (r, z, n) in rows of (3H, ·):
///         r = σ(W_ir x + b_ir + W_hr h + b_hr)    z = σ(W_iz x + b_iz + W_hz h + b_hz)
///         n = tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn)     reset-before
///         n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))     reset-after
///         h′ = (1 − z) ⊙ n + z ⊙ h
///     LSTM-LN, the LSTM's tensors and gate order, with LN(a; γ, β) = γ ⊙ (a − mean a) / √(var a + 1e-5) + β
///     over each gate block's H entries:
///         [i, f, g, o] blocks = LN(W_i· x; ln_weight_ih, b_i·) + LN(W_h· h; ln_weight_hh, b_h·)
///         c′ = f ⊙ c + i ⊙ g                        h′ = o ⊙ tanh(LN(c′; ln_weight_c, ln_bias_c))
///     bidirectional: y_t = [h→_t, h←_t], h← run over x_T … x_1 with the `_reverse` tensors
///     logits = decoder.weight · y^L + decoder.bias
///
/// State s of the incoming and final states is layer k, direction d at s = k·directions + d.
private struct ReferenceModel {
    let config: ModelConfig
    var tensors: [String: NamedTensor] = [:]
    /// `gateOrder[g]`: the row block read for gate g of PyTorch's order. Only the test proving the
    /// comparison can fail changes it, or the three flags below.
    var gateOrder: [Int]
    var variant: GRUVariant
    var reverseTime = true
    var directionMajorStates = false
    /// LSTM-LN normalisations ("ih", "hh", "c") read as the identity (gain and shift still applied).
    var skippedNormalizations: Set<String> = []

    init(_ model: CharRNNModel<Double>) throws {
        config = model.config
        variant = config.gruVariant
        let (V, E, H) = (config.vocabularySize, config.embeddingSize, config.hiddenSize)
        let G: Int
        switch config.cell {
        case .lstm, .layerNormLSTM: G = 4
        case .gru: G = 3
        }
        let directions = config.bidirectional ? 2 : 1
        gateOrder = Array(0..<G)
        var expected: [(String, [Int])] = [("embedding.weight", [V, E])]
        for k in 0..<config.layerCount {
            let D = k == 0 ? E : directions * H
            for suffix in directions == 2 ? ["", "_reverse"] : [""] {
                expected += [("rnn.weight_ih_l\(k)\(suffix)", [G * H, D]), ("rnn.weight_hh_l\(k)\(suffix)", [G * H, H]),
                             ("rnn.bias_ih_l\(k)\(suffix)", [G * H]), ("rnn.bias_hh_l\(k)\(suffix)", [G * H])]
                if config.cell == .layerNormLSTM {
                    expected += [("rnn.ln_weight_ih_l\(k)\(suffix)", [G * H]), ("rnn.ln_weight_hh_l\(k)\(suffix)", [G * H]),
                                 ("rnn.ln_weight_c_l\(k)\(suffix)", [H]), ("rnn.ln_bias_c_l\(k)\(suffix)", [H])]
                }
            }
        }
        expected += [("decoder.weight", [V, directions * H]), ("decoder.bias", [V])]
        for (name, shape) in expected {
            let slot = try XCTUnwrap(model.layout.slot(named: name), name)
            XCTAssertEqual(slot.shape, shape, name)
            tensors[name] = NamedTensor(values: Array(model.parameters[slot.offset..<(slot.offset + slot.count)]),
                                        shape: shape)
        }
    }

    /// W_g v + b_g: gate g's block of H rows of `weight` and `bias`.
    private func affine(_ weight: String, _ bias: String, gate g: Int, _ v: [Double]) -> [Double] {
        let W = tensors[weight]!, b = tensors[bias]!, H = config.hiddenSize
        precondition(W.shape[1] == v.count, "\(weight): \(W.shape) against a vector of \(v.count)")
        return (0..<H).map { j in
            let row = gateOrder[g] * H + j
            var sum = b[row]
            for column in 0..<v.count { sum += W[row, column] * v[column] }
            return sum
        }
    }

    private func step(layer k: Int, direction d: Int, x: [Double], h: [Double], c: [Double])
        -> (h: [Double], c: [Double]) {
        let suffix = "_l\(k)" + (d == 1 ? "_reverse" : "")
        func input(_ g: Int) -> [Double] { affine("rnn.weight_ih" + suffix, "rnn.bias_ih" + suffix, gate: g, x) }
        func recurrent(_ g: Int, _ v: [Double]) -> [Double] {
            affine("rnn.weight_hh" + suffix, "rnn.bias_hh" + suffix, gate: g, v)
        }
        func sum(_ g: Int) -> [Double] { zip(input(g), recurrent(g, h)).map(+) }
        let H = config.hiddenSize
        switch config.cell {
        case .lstm:
            let i = sum(0).map(sigmoid), f = sum(1).map(sigmoid), g = sum(2).map(tanh), o = sum(3).map(sigmoid)
            let cNext = (0..<H).map { j in f[j] * c[j] + i[j] * g[j] }
            return ((0..<H).map { j in o[j] * tanh(cNext[j]) }, cNext)
        case .layerNormLSTM:
            let zeroBias = NamedTensor(values: [Double](repeating: 0, count: 4 * H), shape: [4 * H])
            func normalized(_ name: String, _ gain: String, _ shift: String, _ a: [Double], block g: Int) -> [Double] {
                let x = skippedNormalizations.contains(name) ? a : layerNorm(a)
                return (0..<H).map { j in tensors[gain]![gateOrder[g] * H + j] * x[j] + tensors[shift]![gateOrder[g] * H + j] }
            }
            var withoutBias = self
            withoutBias.tensors["zero"] = zeroBias
            func gate(_ g: Int) -> [Double] {
                let a = withoutBias.affine("rnn.weight_ih" + suffix, "zero", gate: g, x)
                let b = withoutBias.affine("rnn.weight_hh" + suffix, "zero", gate: g, h)
                return zip(normalized("ih", "rnn.ln_weight_ih" + suffix, "rnn.bias_ih" + suffix, a, block: g),
                           normalized("hh", "rnn.ln_weight_hh" + suffix, "rnn.bias_hh" + suffix, b, block: g)).map(+)
            }
            let i = gate(0).map(sigmoid), f = gate(1).map(sigmoid), g = gate(2).map(tanh), o = gate(3).map(sigmoid)
            let cNext = (0..<H).map { j in f[j] * c[j] + i[j] * g[j] }
            let cellGain = tensors["rnn.ln_weight_c" + suffix]!, cellShift = tensors["rnn.ln_bias_c" + suffix]!
            let cNormalized = skippedNormalizations.contains("c") ? cNext : layerNorm(cNext)
            return ((0..<H).map { j in o[j] * tanh(cellGain[j] * cNormalized[j] + cellShift[j]) }, cNext)
        case .gru:
            let r = sum(0).map(sigmoid), z = sum(1).map(sigmoid)
            let n: [Double]
            switch variant {
            case .resetBefore:
                let resetH = (0..<H).map { j in r[j] * h[j] }
                n = zip(input(2), recurrent(2, resetH)).map { tanh($0 + $1) }
            case .resetAfter:
                let hn = recurrent(2, h)
                n = (0..<H).map { j in tanh(input(2)[j] + r[j] * hn[j]) }
            }
            return ((0..<H).map { j in (1 - z[j]) * n[j] + z[j] * h[j] }, c)
        }
    }

    /// Logits (T, B, V) and final states (L·directions, B, H) for the ids `inputs` (position (t, b)
    /// at t·B + b) from the incoming states `h0`, `c0`. The GRU passes `c` through untouched.
    func run(inputs: [Int32], B: Int, T: Int, h0: [[[Double]]], c0: [[[Double]]])
        -> (logits: [[[Double]]], h: [[[Double]]], c: [[[Double]]]) {
        let (L, V) = (config.layerCount, config.vocabularySize)
        let directions = config.bidirectional ? 2 : 1
        let embedding = tensors["embedding.weight"]!
        var x: [[[Double]]] = (0..<T).map { t in
            (0..<B).map { b in (0..<config.embeddingSize).map { embedding[Int(inputs[t * B + b]), $0] } }
        }
        var hOut = h0, cOut = c0
        for k in 0..<L {
            var y = [[[Double]]](repeating: [[Double]](repeating: [], count: B), count: T)
            for d in 0..<directions {
                let s = directionMajorStates ? d * L + k : k * directions + d
                let times = d == 1 && reverseTime ? Array((0..<T).reversed()) : Array(0..<T)
                for b in 0..<B {
                    var (h, c) = (h0[s][b], c0[s][b])
                    for t in times {
                        (h, c) = step(layer: k, direction: d, x: x[t][b], h: h, c: c)
                        y[t][b] += h  // forward direction first: [h→_t, h←_t]
                    }
                    (hOut[s][b], cOut[s][b]) = (h, c)
                }
            }
            x = y
        }
        let W = tensors["decoder.weight"]!, bias = tensors["decoder.bias"]!
        let logits = x.map { row in
            row.map { y in (0..<V).map { v in (0..<y.count).reduce(bias[v]) { $0 + W[v, $1] * y[$1] } } }
        }
        return (logits, hOut, cOut)
    }
}

private func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }

/// (a − mean a) / √(var a + 1e-5), the variance over the entries (biased, as `nn.LayerNorm`).
private func layerNorm(_ a: [Double]) -> [Double] {
    let mean = a.reduce(0, +) / Double(a.count)
    let variance = a.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(a.count)
    return a.map { ($0 - mean) / (variance + 1e-5).squareRoot() }
}

private func flatten(_ states: [[[Double]]]) -> [Double] { states.flatMap { $0.flatMap { $0 } } }

/// max |a − b| over the elements; infinite when the counts differ.
private func maxDifference(_ a: [Double], _ b: [Double]) -> Double {
    guard a.count == b.count else { return .infinity }
    return zip(a, b).map { abs($0 - $1) }.max() ?? 0
}
