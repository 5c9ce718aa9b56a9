import CityStewardCore
import CityStewardStore
import Fluent
import Foundation

/// Imports a GeoJSON FeatureCollection of areas under a parent: planned whole first (what is added, what outline or
/// name is replaced, what stays), then written in one transaction, or not at all. The command line, the API and the
/// console's preview all run this.
struct ImportAreas {
    let store: AreaStore

    struct Outcome {
        var parent: Area
        var plan: AreaImportPlan
        /// False for a preview (`dryRun`): nothing was written.
        var applied: Bool
        var created: [Area] = []
        var changed: [Area] = []
    }

    func run(_ data: Data, parentCode: String, replace: Bool, dryRun: Bool) async throws -> Result<Outcome, GeoJSONProblems> {
        guard let parent = try await store.find(code: parentCode) else {
            throw DomainError.notFound(zh: "找不到上级区域 \(parentCode)", en: "no area with code \(parentCode)")
        }
        let features: [AreaFeature]
        switch AreaGeoJSON.parse(data, parentKind: parent.kind, parentCode: parent.code) {
        case .failure(let problems): return .failure(problems)
        case .success(let f): features = f
        }
        let plan: AreaImportPlan
        switch AreaImport.plan(features, existing: try await store.areas(codes: features.map(\.code)), parent: parent, replace: replace) {
        case .failure(let problems): return .failure(problems)
        case .success(let p): plan = p
        }
        guard !dryRun else { return .success(Outcome(parent: parent, plan: plan, applied: false)) }
        let (created, changed) = try await store.apply(plan, under: parent)
        return .success(Outcome(parent: parent, plan: plan, applied: true, created: created, changed: changed))
    }

    /// New areas only (an existing code is a problem); the areas created.
    func callAsFunction(_ data: Data, parentCode: String) async throws -> Result<[Area], GeoJSONProblems> {
        try await run(data, parentCode: parentCode, replace: false, dryRun: false).map(\.created)
    }
}
