/// The windows of one part of the corpus (training or validation) as the task reads them: the
/// language model reads next-character pairs, a restoration task (degraded, original) pairs.
struct WindowSource {
    let layout: StreamLayout
    /// For restoration: the id of each id's degraded form (the model's input); nil for the language model.
    let degradedForm: [Int32]?

    var windowsPerEpoch: Int { layout.windowsPerEpoch }

    /// Window `k` into the network's own streams, `streamOffset ..< streamOffset + batchSize` of the layout's.
    func fill(window k: Int, into network: UnrolledNetwork<Float>) {
        let own = network.streamOffset..<(network.streamOffset + network.batchSize)
        let (inputs, targets) = (network.inputs.baseAddress!, network.targets.baseAddress!)
        if let degradedForm {
            degradedForm.withUnsafeBufferPointer {
                layout.fillRestorationPairs(window: k, streams: own, degradedForm: $0.baseAddress!,
                                            inputs: inputs, targets: targets)
            }
        } else {
            layout.fill(window: k, streams: own, inputs: inputs, targets: targets)
        }
    }
}
