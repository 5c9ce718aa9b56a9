import CityStewardCore
import FluentKit
import Foundation
import SQLKit

/// Reads and writes areas. Every read that can return several areas takes the caller's `AreaScope`; a single
/// area outside the scope is reported as not found.
public struct AreaStore: Sendable {
    let db: any Database

    public init(db: any Database) {
        self.db = db
    }

    public static let notFound = DomainError.notFound(zh: "找不到该区域", en: "area not found")

    /// Areas in scope, optionally of one kind or under one parent, ordered by code. Shapes are left out unless asked.
    public func list(scope: AreaScope, kind: AreaKind? = nil, parentID: UUID? = nil, includeShapes: Bool = false) async throws -> [Area] {
        guard let query = try await scopedQuery(scope) else { return [] }
        if let kind { query.filter(\.$kind == kind.rawValue) }
        if let parentID { query.filter(\.$parentID == parentID) }
        return try await query.sort(\.$code).all().map { $0.toArea(includeShape: includeShapes) }
    }

    /// One area, if it exists and is in scope.
    public func find(_ id: UUID, scope: AreaScope, includeShape: Bool = true) async throws -> Area {
        guard let record = try await AreaRecord.find(id, on: db) else { throw Self.notFound }
        let area = record.toArea(includeShape: includeShape)
        guard scope.includes(area) else { throw Self.notFound }
        return area
    }

    public func find(code: String) async throws -> Area? {
        try await AreaRecord.query(on: db).filter(\.$code == code).first()?.toArea(includeShape: true)
    }

    public func children(of id: UUID, includeShapes: Bool = true) async throws -> [Area] {
        try await AreaRecord.query(on: db).filter(\.$parentID == id).sort(\.$code).all().map { $0.toArea(includeShape: includeShapes) }
    }

    /// The areas above `area`, district first (for breadcrumbs; names only, so scope does not apply).
    public func ancestors(of area: Area) async throws -> [Area] {
        let ids = area.path.dropLast()
        guard !ids.isEmpty else { return [] }
        let records = try await AreaRecord.query(on: db).filter(\.$id ~~ Array(ids)).all()
        let byID = Dictionary(uniqueKeysWithValues: records.map { ($0.id!, $0.toArea(includeShape: false)) })
        return ids.compactMap { byID[$0] }
    }

    /// Every area of one kind with its shape, ordered by code (for the point locator).
    public func shapes(of kind: AreaKind) async throws -> [Area] {
        try await AreaRecord.query(on: db).filter(\.$kind == kind.rawValue).sort(\.$code).all().map { $0.toArea(includeShape: true) }
    }

    /// A cheap fingerprint of the area table: changes when areas are added or edited.
    public func revision() async throws -> String {
        let count = try await AreaRecord.query(on: db).count()
        let latest = try await AreaRecord.query(on: db).max(\.$updatedAt)
        return "\(count)-\(latest?.timeIntervalSince1970 ?? 0)"
    }

    /// Inserts children under `parent` in one transaction: all or nothing. Codes already in the database are
    /// reported with the feature index, like the file's own problems.
    public func importFeatures(_ features: [AreaFeature], under parent: Area) async throws -> Result<[Area], GeoJSONProblems> {
        try await db.writeTransaction { tx in
            let codes = features.map(\.code)
            var existing: Set<String> = []
            for chunk in stride(from: 0, to: codes.count, by: 500) {
                let slice = Array(codes[chunk..<min(chunk + 500, codes.count)])
                let found = try await AreaRecord.query(on: tx).filter(\.$code ~~ slice).all().map(\.code)
                existing.formUnion(found)
            }
            let problems = features.filter { existing.contains($0.code) }.map {
                GeoJSONProblem(featureIndex: $0.index, reason: LocalizedText(zh: "代码 \($0.code) 已存在", en: "code \($0.code) already exists"))
            }
            guard problems.isEmpty else { return .failure(GeoJSONProblems(problems)) }
            var created: [Area] = []
            for feature in features {
                let id = UUID()
                let area = Area(id: id, kind: feature.kind, code: feature.code, name: feature.name, nameEn: feature.nameEn,
                                parentID: parent.id, streetID: parent.kind == .district ? id : parent.streetID,
                                path: parent.path + [id], shape: feature.shape, centre: feature.shape.labelPoint)
                try await AreaRecord(area).create(on: tx)
                created.append(area)
            }
            return .success(created)
        }
    }

    /// The stored areas that have any of `codes`, with their shapes, by code.
    public func areas(codes: [String]) async throws -> [String: Area] {
        var out: [String: Area] = [:]
        for chunk in stride(from: 0, to: codes.count, by: 500) {
            let slice = Array(codes[chunk..<min(chunk + 500, codes.count)])
            for r in try await AreaRecord.query(on: db).filter(\.$code ~~ slice).all() { out[r.code] = r.toArea(includeShape: true) }
        }
        return out
    }

    /// Carries out an import plan under `parent` in one transaction: the new areas inserted, the changed ones updated in
    /// place (same id, so their cases keep them). Returns what was created and what was changed.
    public func apply(_ plan: AreaImportPlan, under parent: Area) async throws -> (created: [Area], changed: [Area]) {
        try await db.writeTransaction { tx in
            var created: [Area] = []
            for feature in plan.creates {
                let id = UUID()
                let area = Area(id: id, kind: feature.kind, code: feature.code, name: feature.name, nameEn: feature.nameEn,
                                parentID: parent.id, streetID: parent.kind == .district ? id : parent.streetID,
                                path: parent.path + [id], shape: feature.shape, centre: feature.shape.labelPoint)
                try await AreaRecord(area).create(on: tx)
                created.append(area)
            }
            var changed: [Area] = []
            for change in plan.changes {
                guard let record = try await AreaRecord.find(change.current.id, on: tx) else { continue }
                var area = change.current
                area.name = change.feature.name
                area.nameEn = change.feature.nameEn ?? change.current.nameEn
                area.shape = change.feature.shape
                area.centre = change.feature.shape.labelPoint
                let fresh = AreaRecord(area)
                record.name = fresh.name
                record.nameEn = fresh.nameEn
                record.geometry = fresh.geometry
                (record.minLat, record.minLong, record.maxLat, record.maxLong) = (fresh.minLat, fresh.minLong, fresh.maxLat, fresh.maxLong)
                (record.centreLat, record.centreLong) = (fresh.centreLat, fresh.centreLong)
                try await record.update(on: tx)
                changed.append(area)
            }
            return (created, changed)
        }
    }

    /// Renames an area (its code, place and outline stay).
    public func rename(_ id: UUID, name: String, nameEn: String?) async throws {
        guard let record = try await AreaRecord.find(id, on: db) else { throw Self.notFound }
        record.name = name
        record.nameEn = nameEn
        try await record.update(on: db)
    }

    /// Inserts one area (the demo loader and tests); the caller gives a complete `Area`.
    public func insert(_ area: Area) async throws {
        try await AreaRecord(area).create(on: db)
    }

    private func scopedQuery(_ scope: AreaScope) async throws -> QueryBuilder<AreaRecord>? {
        let query = AreaRecord.query(on: db)
        switch scope {
        case .everything:
            return query
        case .subtrees(let roots):
            guard !roots.isEmpty else { return nil }
            let rootRecords = try await AreaRecord.query(on: db).filter(\.$id ~~ roots).all()
            guard !rootRecords.isEmpty else { return nil }
            let prefixes = rootRecords.map(\.path)
            query.group(.or) { group in
                for prefix in prefixes { group.filter(\.$path, .contains(inverse: false, .prefix), prefix) }
            }
            return query
        }
    }
}
