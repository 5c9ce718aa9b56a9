import Foundation

/// Which part of the area tree a caller may see: everything, or the subtrees under some roots.
public enum AreaScope: Sendable, Equatable {
    case everything
    case subtrees([UUID])

    public static let nothing = AreaScope.subtrees([])

    public func includes(_ area: Area) -> Bool {
        switch self {
        case .everything: true
        case .subtrees(let roots): roots.contains { area.path.contains($0) }
        }
    }

    /// Whether a record filed under an area with this path (its ids from the root) lies in the scope.
    public func includes(path: [UUID]) -> Bool {
        switch self {
        case .everything: true
        case .subtrees(let roots): roots.contains { path.contains($0) }
        }
    }

    public var isEverything: Bool { self == .everything }
}
