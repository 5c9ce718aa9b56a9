import CityStewardCore
import FluentKit
import Foundation

/// Loads the demo district. Idempotent: every seed is matched by its code or username, so loading twice adds
/// nothing and a partly loaded database is completed.
public enum DemoLoader {
    public struct Summary: Sendable, Equatable {
        public var areasCreated: Int
        public var orgsCreated: Int
        public var usersCreated: Int

        public init(areasCreated: Int, orgsCreated: Int, usersCreated: Int) {
            self.areasCreated = areasCreated
            self.orgsCreated = orgsCreated
            self.usersCreated = usersCreated
        }
    }

    /// True when the database has no areas yet (the `demo` command loads only then).
    public static func isEmpty(_ db: any Database) async throws -> Bool {
        try await AreaRecord.query(on: db).count() == 0
    }

    /// `hashPassword` is the App's Bcrypt (Store does not import Vapor); it is called once.
    @discardableResult
    public static func load(on db: any Database, hashPassword: @Sendable (String) async throws -> String) async throws -> Summary {
        let usersToCreate = try await DemoDistrict.users.asyncFilter {
            try await UserRecord.query(on: db).filter(\.$username == $0.username).count() == 0
        }
        let hash = usersToCreate.isEmpty ? "" : try await hashPassword(DemoDistrict.password)
        return try await db.writeTransaction { tx in
            var summary = Summary(areasCreated: 0, orgsCreated: 0, usersCreated: 0)
            var byCode: [String: Area] = [:]
            let areas = AreaStore(db: tx)
            for seed in DemoDistrict.areas {
                if let existing = try await areas.find(code: seed.code) {
                    byCode[seed.code] = existing
                    continue
                }
                let parent = seed.parentCode.flatMap { byCode[$0] }
                let id = UUID()
                let streetID: UUID? = switch seed.kind {
                case .district: nil
                case .street: id
                default: parent?.streetID
                }
                let area = Area(id: id, kind: seed.kind, code: seed.code, name: seed.name, nameEn: seed.nameEn,
                                parentID: parent?.id, streetID: streetID, path: (parent?.path ?? []) + [id],
                                shape: seed.shape, centre: seed.centre)
                try await areas.insert(area)
                byCode[seed.code] = area
                summary.areasCreated += 1
            }
            let facilities = FacilityStore(db: tx)
            let known = Set(try await facilities.all().map(\.code))
            for seed in DemoDistrict.facilities where !known.contains(seed.code) {
                guard let grid = byCode[seed.gridCode] else { continue }
                try await facilities.add([Facility(id: UUID(), code: seed.code, name: seed.name, nameEn: seed.nameEn,
                                                   componentCode: seed.componentCode, areaID: grid.id, position: seed.position)], in: grid)
            }
            let directory = DirectoryStore(db: tx)
            var orgIDs: [String: UUID] = [:]
            for seed in DemoDistrict.orgs {
                let org: Org
                if let existing = try await directory.org(code: seed.code) {
                    org = existing
                } else {
                    org = try await directory.createOrg(code: seed.code, name: seed.name, nameEn: seed.nameEn, kind: seed.kind)
                    summary.orgsCreated += 1
                }
                orgIDs[seed.code] = org.id
                for code in seed.areaCodes {
                    guard let area = byCode[code] else { continue }
                    try await directory.assign(orgID: org.id, area: area)
                }
            }
            for seed in usersToCreate {
                try await directory.createUser(username: seed.username, displayName: seed.displayName, passwordHash: hash,
                                               role: seed.role, orgID: seed.orgCode.flatMap { orgIDs[$0] })
                summary.usersCreated += 1
            }
            return summary
        }
    }
}

extension Sequence where Element: Sendable {
    func asyncFilter(_ predicate: (Element) async throws -> Bool) async rethrows -> [Element] {
        var result: [Element] = []
        for element in self where try await predicate(element) { result.append(element) }
        return result
    }
}

extension DemoLoader {
    /// Seeds the taxonomy (when the database has none) and, when there are no entrustments yet, the demo's catalog
    /// prices, one contract per street taken through review, signing and activation (which creates the entrusted
    /// matters routing reads), and each pilot village's takeover mode.
    public static func loadCaseReference(_ taxonomy: Taxonomy, on db: any Database, now: Date) async throws {
        let store = TaxonomyStore(db: db)
        try await store.seed(taxonomy, at: now)
        guard try await store.entrustmentCount() == 0 else { return }
        let directory = DirectoryStore(db: db)
        let areas = AreaStore(db: db)
        guard let steward = try await directory.org(code: DemoDistrict.stewardCode) else { return }
        let contracts = ContractStore(db: db)
        for p in DemoDistrict.prices { try await contracts.setPrice(p, by: "演示数据", at: now) }
        let catalog = MatterCatalogStore(db: db)
        var villageIndex = 0
        for (streetCode, villageCodes) in DemoDistrict.streetsWithVillages {
            guard let street = try await areas.find(code: streetCode) else { continue }
            // Each street office's own list first: its contract entrusts only what the list holds.
            _ = try await catalog.setStreetList(street.id, matters: taxonomy.matters.filter { !$0.beyondAuthority }.map(\.code).sorted(), by: "演示数据", at: now,
                                                note: "演示：试点事项全部委托")
            var ids: [String: UUID] = [:]
            for code in villageCodes {
                guard let village = try await areas.find(code: code) else { continue }
                ids[code] = village.id
                try await contracts.setTakeover(DemoDistrict.takeover(villageIndex: villageIndex), villageID: village.id, by: "演示数据", at: now)
                villageIndex += 1
            }
            let terms = DemoDistrict.contractTerms(street: streetCode, villages: villageCodes.filter { ids[$0] != nil })
            let draft = try await contracts.create(terms, streetID: street.id, streetCode: streetCode, stewardID: steward.id, by: "演示数据", at: now)
            // The demo's contracts went through both signatures: the steward's countersignature, then the street's.
            for action in [ContractAction.submit, .countersign, .sign, .activate] {
                _ = try await contracts.perform(action, on: draft.id, areaIDs: ids, today: LocalDate.beijing(now), terminationDate: nil, note: nil,
                                                by: "演示数据", at: now)
            }
        }
    }
}

extension DemoLoader {
    /// The demo's synthetic residents (when there are none yet), sealed with the deployment's key.
    @discardableResult
    public static func loadResidents(on db: any Database, cipher: FieldCipher, count: Int = 300, now: Date) async throws -> Int {
        let store = ResidentStore(db: db)
        guard try await store.count() == 0 else { return 0 }
        let buildings = try await AreaStore(db: db).list(scope: .everything, kind: .building)
        let byCode = Dictionary(uniqueKeysWithValues: buildings.map { ($0.code, $0) })
        var rows: [ResidentRow] = []
        for input in DemoResidents.make(count: count, buildings: buildings.map(\.code).sorted()) {
            guard case .success(let resident) = ResidentRules.validate(input, knownBuildings: Set(byCode.keys)),
                  let building = byCode[resident.building] else { continue }
            rows.append(try ResidentStore.row(resident, in: building, cipher: cipher, now: now))
        }
        try await store.insert(rows)
        return rows.count
    }
}
