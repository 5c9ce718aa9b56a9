import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// Point → grid lookup over the stored grids, with the spatial index built once and rebuilt when the area table
/// changes (checked at most every few seconds, so several app instances converge without messaging).
actor GridLocator {
    private var index: GridIndex?
    private var grids: [Area] = []
    private var revision: String?
    private var checkedAt: ContinuousClock.Instant?
    private let recheckInterval: Duration

    init(recheckInterval: Duration = .seconds(5)) {
        self.recheckInterval = recheckInterval
    }

    /// The grid containing the point (the lowest code on a shared edge), or nil.
    func grid(at point: GeoPoint, store: AreaStore) async throws -> Area? {
        try await refreshIfNeeded(store)
        guard let index, let hit = index.firstRegion(containing: point) else { return nil }
        return grids[hit]
    }

    /// Forces the next lookup to reload (after an import in this process).
    func invalidate() {
        checkedAt = nil
        revision = nil
    }

    private func refreshIfNeeded(_ store: AreaStore) async throws {
        let now = ContinuousClock.now
        if let checkedAt, index != nil, now - checkedAt < recheckInterval { return }
        let current = try await store.revision()
        checkedAt = now
        guard current != revision || index == nil else { return }
        let loaded = try await store.shapes(of: .grid).filter { $0.shape != nil }
        grids = loaded
        index = GridIndex(regions: loaded.map { $0.shape! })
        revision = current
    }
}

extension Application {
    private struct GridLocatorKey: StorageKey { typealias Value = GridLocator }
    var gridLocator: GridLocator {
        get { storage[GridLocatorKey.self]! }
        set { storage[GridLocatorKey.self] = newValue }
    }
}
