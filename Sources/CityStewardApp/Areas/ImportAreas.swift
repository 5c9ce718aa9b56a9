import CityStewardCore
import CityStewardStore
import Fluent
import Foundation

/// Imports a GeoJSON FeatureCollection of areas under a parent: the whole file or nothing.
struct ImportAreas {
    let store: AreaStore

    func callAsFunction(_ data: Data, parentCode: String) async throws -> Result<[Area], GeoJSONProblems> {
        guard let parent = try await store.find(code: parentCode) else {
            return .failure(GeoJSONProblems([GeoJSONProblem(featureIndex: nil, reason: LocalizedText(
                zh: "找不到上级区域 \(parentCode)", en: "no area with code \(parentCode)"))]))
        }
        switch AreaGeoJSON.parse(data, parentKind: parent.kind, parentCode: parent.code) {
        case .failure(let problems):
            return .failure(problems)
        case .success(let features):
            return try await store.importFeatures(features, under: parent)
        }
    }
}
