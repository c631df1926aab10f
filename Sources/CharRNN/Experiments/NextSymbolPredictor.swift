/// Something that names the symbol it expects at a position of a text from the symbols before it:
/// a trained model, or in the tests a hand-built oracle or a constant guess. The probes score any of
/// them the same way (`RecallSite.outcomes`).
public protocol NextSymbolPredictor {
    /// For each of `positions` (ascending, each ≥ 1), the id ranked first for `ids[p]` from
    /// `ids[0..<p]` alone.
    func predictions(for ids: [Int32], at positions: [Int]) -> [Int32]
}

extension RecallSite {
    /// Whether `predictor` ranks the right symbol first at each site's target of `ids`, in the
    /// order of `sites` (sorted by target).
    public static func outcomes(of predictor: some NextSymbolPredictor, on ids: [Int32],
                                sites: [RecallSite]) -> [Bool] {
        precondition(zip(sites, sites.dropFirst()).allSatisfy { $0.target < $1.target }, "sites must be sorted by target")
        precondition(sites.allSatisfy { $0.target < ids.count }, "a site lies past the end of the text")
        let predicted = predictor.predictions(for: ids, at: sites.map(\.target))
        return zip(sites, predicted).map { site, id in ids[site.target] == id }
    }
}
