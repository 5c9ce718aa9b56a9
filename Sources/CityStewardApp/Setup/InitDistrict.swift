import CityStewardCore
import CityStewardStore
import Fluent
import Foundation
import Vapor

/// Sets up a district on an empty (or partly set up) database: load what is there, let `DistrictSetup.plan`
/// decide what is missing, write all of it in one transaction, then seed the shipped category catalog.
struct InitDistrict {
    let app: Application

    struct Input {
        var reference: DistrictSetup.Reference
        var adminUsername: String
        var adminName: String
        /// Needed only when the administrator is created.
        var password: String?
        /// Who ran it, for the audit log.
        var by: String
    }

    struct Outcome {
        var plan: DistrictSetup.Plan
        var categoriesSeeded: Bool
    }

    func callAsFunction(_ request: Input) async throws -> Result<Outcome, LocalizedText> {
        let db = app.db, now = app.clock.now
        let areas = AreaStore(db: db), directory = DirectoryStore(db: db)
        let reference = request.reference
        var byCode: [String: Area] = [:]
        for place in [reference.district] + reference.streets {
            if let area = try await areas.find(code: place.code) { byCode[place.code] = area }
        }
        let existing = DistrictSetup.Existing(
            districts: try await areas.list(scope: .everything, kind: .district), areasByCode: byCode,
            office: try await directory.org(code: reference.office.code), admin: try await directory.user(username: request.adminUsername))
        let plan: DistrictSetup.Plan
        switch DistrictSetup.plan(reference, existing: existing, adminUsername: request.adminUsername) {
        case .failure(let reason): return .failure(reason)
        case .success(let decided): plan = decided
        }
        var hash: String?
        if plan.createAdmin {
            guard let password = request.password else {
                return .failure(LocalizedText(zh: "创建管理员需要密码：用 --password-stdin 从标准输入读入",
                                              en: "creating the administrator needs a password: pass it on standard input with --password-stdin"))
            }
            if let problem = CredentialRules.validatePassword(password) { return .failure(problem) }
            hash = try await app.password.async.hash(password)
        }
        let actorName = "command line (\(request.by))"
        let (stored, passwordHash) = (byCode, hash)
        do {
            try await db.writeTransaction { tx in
                let areas = AreaStore(db: tx), directory = DirectoryStore(db: tx), audit = AuditStore(db: tx)
                var district = stored[reference.district.code]
                for place in plan.createAreas {
                    let id = UUID()
                    let parent = place.kind == .district ? nil : district
                    let area = Area(id: id, kind: place.kind, code: place.code, name: place.name, nameEn: place.nameEn, parentID: parent?.id,
                                    streetID: place.kind == .street ? id : nil, path: (parent?.path ?? []) + [id], shape: place.shape, centre: place.centre)
                    try await areas.insert(area)
                    if place.kind == .district { district = area }
                }
                if !plan.createAreas.isEmpty {
                    try await audit.append(action: AuditAction.importData.rawValue, subject: "areas:\(reference.district.code)",
                                           detail: "init: " + plan.createAreas.map(\.code).joined(separator: ","), actorID: nil, actorName: actorName, at: now)
                }
                var office = existing.office
                if let seed = plan.createOffice {
                    office = try await directory.createOrg(code: seed.code, name: seed.name, nameEn: seed.nameEn, kind: .districtOffice)
                    try await audit.append(action: AuditAction.orgChanged.rawValue, subject: "org:\(seed.code)", detail: "created kind=districtOffice",
                                           actorID: nil, actorName: actorName, at: now)
                }
                if let office, let district { try await directory.assign(orgID: office.id, area: district) }
                if plan.createAdmin, let passwordHash {
                    let user = try await directory.createUser(username: request.adminUsername, displayName: request.adminName, passwordHash: passwordHash,
                                                              role: .districtAdmin, orgID: office?.id)
                    try await audit.append(action: AuditAction.userCreated.rawValue, subject: "user:\(user.username)", detail: "role=districtAdmin",
                                           actorID: nil, actorName: actorName, at: now)
                }
            }
        } catch let error as DomainError {
            return .failure(error.message)
        }
        let seeded = try await TaxonomyStore(db: db).seed(app.caseReference.shipped, at: now)
        app.gridLocator.invalidate()
        app.caseReference.invalidate()
        return .success(Outcome(plan: plan, categoriesSeeded: seeded))
    }
}
