import CityStewardCore
import CityStewardStore
import Foundation
import NIOConcurrencyHelpers
import Vapor

/// Point → grid lookup over the stored grids, with the spatial index built once and rebuilt when the area table
/// changes (checked at most every few seconds, so several app instances converge without messaging). A lock, not
/// an actor: a lookup takes microseconds and every intake asks.
final class GridLocator: Sendable {
    private struct State {
        var index: GridIndex?
        var grids: [Area] = []
        var revision: String?
        var checkedAt: ContinuousClock.Instant?
        var checking = false
    }

    private let state = NIOLockedValueBox(State())
    private let recheckInterval: Duration

    init(recheckInterval: Duration = .seconds(5)) {
        self.recheckInterval = recheckInterval
    }

    /// The grid containing the point (the lowest code on a shared edge), or nil.
    func grid(at point: GeoPoint, store: @autoclosure () -> AreaStore) async throws -> Area? {
        try await refreshIfNeeded(store)
        return state.withLockedValue { s in
            guard let index = s.index, let hit = index.firstRegion(containing: point) else { return nil }
            return s.grids[hit]
        }
    }

    /// Forces the next lookup to reload (after an import in this process).
    func invalidate() {
        state.withLockedValue { s in
            s.checkedAt = nil
            s.revision = nil
        }
    }

    private func refreshIfNeeded(_ store: () -> AreaStore) async throws {
        let interval = recheckInterval
        let due: (first: Bool, revision: String?)? = state.withLockedValue { s in
            if s.index != nil, let at = s.checkedAt, ContinuousClock.now - at < interval { return nil }
            if s.checking && s.index != nil { return nil }   // another request is checking; use the current index
            s.checking = true
            return (s.index == nil, s.revision)
        }
        guard let due else { return }
        let store = store()
        do {
            let current = try await store.revision()
            if current != due.revision || due.first {
                let loaded = try await store.shapes(of: .grid).filter { $0.shape != nil }
                let index = GridIndex(regions: loaded.map { $0.shape! })
                state.withLockedValue { s in
                    s.grids = loaded
                    s.index = index
                    s.revision = current
                }
            }
            state.withLockedValue { s in
                s.checkedAt = .now
                s.checking = false
            }
        } catch {
            state.withLockedValue { $0.checking = false }
            throw error
        }
    }
}

extension Application {
    private struct GridLocatorKey: StorageKey { typealias Value = GridLocator }
    var gridLocator: GridLocator {
        get { storage[GridLocatorKey.self]! }
        set { storage[GridLocatorKey.self] = newValue }
    }
}
