/// One optimiser step on the window already in `workspace`: zero the gradients, forward (with
/// dropout), backward, clip by the global norm, Adam. Returns the window's mean loss and the
/// pre-clip gradient norm; when either is not finite the parameters are left untouched.
@discardableResult
public func trainOnWindow(_ workspace: Workspace<Float>, adam: Adam, clip: Double,
                          learningRate: Double) -> (loss: Double, gradientNorm: Double) {
    let model = workspace.model
    model.zeroGradients()
    let loss = workspace.forward(training: true)
    guard loss.isFinite else { return (loss, .nan) }
    workspace.backward()
    let norm = clipGradientNorm(model.gradients, limit: clip)
    guard norm.isFinite else { return (loss, norm) }
    adam.update(parameters: model.parameters, gradients: UnsafeBufferPointer(model.gradients), learningRate: learningRate)
    return (loss, norm)
}
