import CityStewardCore
import CityStewardStore
import Fluent
import Foundation
import Vapor

/// Creates an organisation with the areas it serves: load the codes → `OrgRules.validate` → one transaction with
/// the audit row. Throws `FieldProblems` with every problem.
struct SaveOrg {
    let app: Application

    func callAsFunction(_ draft: OrgDraft, by actorName: String, actorID: UUID? = nil) async throws -> Org {
        let directory = DirectoryStore(db: app.db)
        let areas = try await OrgAreaLookup.areas(draft.areaCodes, on: app.db)
        let code = draft.code.trimmingCharacters(in: .whitespaces).uppercased()
        let taken = try await directory.org(code: code) != nil
        let valid: ValidOrg
        switch OrgRules.validate(draft, areas: areas, codeTaken: taken) {
        case .failure(let problems): throw problems
        case .success(let checked): valid = checked
        }
        let now = app.clock.now
        return try await app.db.writeTransaction { tx in
            let directory = DirectoryStore(db: tx)
            let org = try await directory.createOrg(code: valid.code, name: valid.name, nameEn: valid.nameEn, kind: valid.kind)
            for area in valid.areas { try await directory.assign(orgID: org.id, area: area) }
            try await AuditStore(db: tx).append(action: AuditAction.orgChanged.rawValue, subject: "org:\(org.code)",
                                                detail: "created kind=\(org.kind.rawValue); areas=\(valid.areas.map(\.code).joined(separator: ","))",
                                                actorID: actorID, actorName: actorName, at: now)
            return org
        }
    }
}

/// Adds areas an existing organisation serves.
struct AssignOrgAreas {
    let app: Application

    func callAsFunction(orgCode: String, areaCodes: [String], by actorName: String, actorID: UUID? = nil) async throws -> Org {
        guard let org = try await DirectoryStore(db: app.db).org(code: orgCode.uppercased()) else {
            throw DomainError.notFound(LocalizedText(zh: "找不到机构 \(orgCode)", en: "no organisation with code \(orgCode)"))
        }
        let areas: [Area]
        switch OrgRules.validateAreas(areaCodes, for: org, areas: try await OrgAreaLookup.areas(areaCodes, on: app.db)) {
        case .failure(let problems): throw problems
        case .success(let checked): areas = checked
        }
        let now = app.clock.now
        try await app.db.writeTransaction { tx in
            let directory = DirectoryStore(db: tx)
            for area in areas { try await directory.assign(orgID: org.id, area: area) }
            try await AuditStore(db: tx).append(action: AuditAction.orgChanged.rawValue, subject: "org:\(org.code)",
                                                detail: "areas added: \(areas.map(\.code).joined(separator: ","))", actorID: actorID, actorName: actorName, at: now)
        }
        return org
    }
}

enum OrgAreaLookup {
    static func areas(_ codes: [String], on db: any Database) async throws -> [String: Area] {
        let store = AreaStore(db: db)
        var found: [String: Area] = [:]
        for code in Set(codes) { if let area = try await store.find(code: code) { found[code] = area } }
        return found
    }
}
