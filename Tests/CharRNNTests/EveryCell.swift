@testable import CharRNN

/// Every cell with every variant it takes, so the tests that loop over cells cover a new cell
/// without being edited.
let everyCell: [(CellKind, GRUVariant)] = CellKind.allCases.flatMap { cell in
    cell.takesGRUVariant ? GRUVariant.allCases.map { (cell, $0) } : [(cell, GRUVariant.resetBefore)]
}
