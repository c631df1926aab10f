extension Checkpoint {
    /// Keeps the weights and configuration only.
    public mutating func dropTrainingState() {
        training = nil
        adamM = nil
        adamV = nil
        stateH = nil
        stateC = nil
        averaged = nil
    }
}
