/// One optimiser step on the window already in `replicas`: forward (with dropout) and backward on
/// every replica, the gradients summed over the ranks of `group` (each holds the gradient of its
/// own streams' mean loss, so the global one is their mean), clipping by the global norm, Adam.
/// Returns the global mean loss and the pre-clip gradient norm; when either is not finite the
/// parameters are left untouched. Every rank calls it in step, with its own block of streams.
@discardableResult
public func trainOnWindow(_ replicas: StreamReplicas, adam: Adam, clip: Double, learningRate: Double,
                          group: ProcessGroup = .single) -> (loss: Double, gradientNorm: Double) {
    let model = replicas.model
    var loss = replicas.forwardBackward()
    if group.size > 1 {
        group.sum(model.gradients)
        loss = group.sum(loss) / Double(group.size)
        let scale = 1 / Float(group.size)
        for i in model.gradients.indices { model.gradients[i] *= scale }
    }
    let norm = clipGradientNorm(model.gradients, limit: clip)
    guard loss.isFinite, norm.isFinite else { return (loss, norm) }
    adam.update(parameters: model.parameters, gradients: UnsafeBufferPointer(model.gradients), learningRate: learningRate)
    return (loss, norm)
}
