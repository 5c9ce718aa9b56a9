import CityStewardCore
import CityStewardStore
import CityStewardTestSupport
import FluentKit
import Foundation
import SQLKit
import Testing

@Suite("Migrations and demo data")
struct MigrationTests {
    @Test func migrationsAreNumberedInOrderOneFileEach() throws {
        // The recorded names are what ran: numbered from 0001 in list order, never two alike.
        let names = CityStewardMigrations.all(calendar: WorkingCalendar(years: [])).map(\.name)
        #expect(Set(names).count == names.count)
        for (i, name) in names.enumerated() {
            #expect(name.hasPrefix(String(format: "%04d_", i + 1)), "\(name) is number \(i + 1)")
        }
        // One file each, named by the number and the type (Sources/CityStewardStore/Migrations/0001_CreateAreas.swift).
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/CityStewardStore/Migrations")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.first?.isNumber == true }.sorted()
        let types = CityStewardMigrations.all(calendar: WorkingCalendar(years: [])).map { String(describing: type(of: $0)) }
        #expect(files == types.enumerated().map { String(format: "%04d_", $0.offset + 1) + $0.element + ".swift" })
    }

    @Test func migrationsCreateEveryTable() async throws {
        try await withTestDatabase { db in
            let sql = try #require(db as? any SQLDatabase)
            // The suite runs on the database it claims to: PostgreSQL when TEST_DATABASE_URL is set.
            #expect(sql.dialect.name == (TestDatabase.postgresURL == nil ? "sqlite" : "postgresql"))
            for table in ["areas", "orgs", "org_areas", "users", "api_tokens", "login_throttle"] {
                let rows = try await sql.raw("SELECT COUNT(*) AS n FROM \(ident: table)").all()
                #expect(try rows.first?.decode(column: "n", as: Int.self) == 0, "\(table)")
            }
            let names = try await sql.raw("SELECT name FROM \(ident: "_fluent_migrations") ORDER BY batch, name").all()
                .map { try $0.decode(column: "name", as: String.self) }
            #expect(names == CityStewardMigrations.all(calendar: WorkingCalendar(years: [])).map(\.name))
            #expect(names.allSatisfy { $0.range(of: #"^\d{4}_[a-z_]+$"#, options: .regularExpression) != nil })
        }
    }

    @Test func demoLoadsTwiceWithoutDuplicating() async throws {
        try await withTestDatabase { db in
            #expect(try await DemoLoader.isEmpty(db))
            let first = try await DemoLoader.load(on: db, hashPassword: testHash)
            #expect(first.areasCreated == DemoDistrict.areas.count)
            #expect(first.orgsCreated == DemoDistrict.orgs.count)
            #expect(first.usersCreated == DemoDistrict.users.count)
            let second = try await DemoLoader.load(on: db, hashPassword: testHash)
            #expect(second == DemoLoader.Summary(areasCreated: 0, orgsCreated: 0, usersCreated: 0))
            let areas = try await AreaStore(db: db).list(scope: .everything)
            #expect(areas.count == DemoDistrict.areas.count)
            #expect(try await DirectoryStore(db: db).users().count == DemoDistrict.users.count)
            #expect(!(try await DemoLoader.isEmpty(db)))
        }
    }

    @Test func streetIdsAndPathsAreConsistent() async throws {
        try await withTestDatabase { db in
            try await DemoLoader.load(on: db, hashPassword: testHash)
            let areas = try await AreaStore(db: db).list(scope: .everything)
            let byID = Dictionary(uniqueKeysWithValues: areas.map { ($0.id, $0) })
            for area in areas {
                #expect(area.path.last == area.id)
                if let parent = area.parentID { #expect(byID[parent]?.path == Array(area.path.dropLast())) }
                switch area.kind {
                case .district: #expect(area.streetID == nil)
                case .street: #expect(area.streetID == area.id)
                default: #expect(area.streetID.flatMap { byID[$0]?.kind } == .street, "\(area.code)")
                }
            }
        }
    }
}

@Suite("Area store")
struct AreaStoreTests {
    @Test func scopeFiltersListsAndFinds() async throws {
        try await withTestDatabase { db in
            try await DemoLoader.load(on: db, hashPassword: testHash)
            let store = AreaStore(db: db)
            let minzhi = try #require(try await store.find(code: "440309002"))
            let pilao = try #require(try await store.find(code: "440309006007V01"))
            let scoped = try await store.list(scope: .subtrees([minzhi.id]))
            #expect(!scoped.isEmpty)
            #expect(scoped.allSatisfy { $0.code.hasPrefix("440309002") })
            #expect(scoped.filter { $0.kind == .village }.map(\.name) == ["松仔园村"])
            await #expect(throws: DomainError.self) { try await store.find(pilao.id, scope: .subtrees([minzhi.id])) }
            #expect(try await store.find(pilao.id, scope: .everything).name == "陂老村")
            #expect(try await store.list(scope: .nothing).isEmpty)
            let grids = try await store.list(scope: .subtrees([minzhi.id]), kind: .grid)
            #expect(grids.count == 28)
            #expect(grids.allSatisfy { $0.shape == nil })
            #expect(try await store.list(scope: .everything, kind: .grid, includeShapes: true).allSatisfy { $0.shape != nil })
        }
    }

    @Test func shapesSurviveTheRoundTrip() async throws {
        try await withTestDatabase { db in
            try await DemoLoader.load(on: db, hashPassword: testHash)
            let stored = try #require(try await AreaStore(db: db).find(code: "440309004005V01"))
            let seed = try #require(DemoDistrict.areas.first { $0.code == "440309004005V01" })
            #expect(stored.shape == seed.shape)
        }
    }

    @Test func importIsAllOrNothing() async throws {
        try await withTestDatabase { db in
            try await DemoLoader.load(on: db, hashPassword: testHash)
            let store = AreaStore(db: db)
            let village = try #require(try await store.find(code: "440309002001V01"))
            func feature(_ index: Int, _ code: String) -> AreaFeature {
                AreaFeature(index: index, code: code, name: "新网格 \(index)", nameEn: nil, kind: .grid,
                            shape: AreaBuilder.square(minLat: 22.63 + Double(index) * 0.001, minLong: 114.04, size: 0.0009))
            }
            // The second feature's code is already taken by a demo grid: nothing is written.
            let clash = try await store.importFeatures([feature(0, "440309002001901"), feature(1, "440309002001001")], under: village)
            guard case .failure(let problems) = clash else { Issue.record("expected a failure"); return }
            #expect(problems.problems.map(\.featureIndex) == [1])
            #expect(try await store.find(code: "440309002001901") == nil)
            // A clean batch goes in whole, under the parent, in its street.
            let ok = try await store.importFeatures([feature(0, "440309002001901"), feature(1, "440309002001902")], under: village)
            guard case .success(let created) = ok else { Issue.record("expected success"); return }
            #expect(created.count == 2)
            let reread = try #require(try await store.find(code: "440309002001902"))
            #expect(reread.parentID == village.id)
            #expect(reread.streetID == village.streetID)
            #expect(reread.path == village.path + [reread.id])
            #expect(reread.centre != nil)
        }
    }
}

@Suite("Directory store")
struct DirectoryStoreTests {
    @Test func createUserChecksRoleOrgAndUniqueness() async throws {
        try await withTestDatabase { db in
            try await DemoLoader.load(on: db, hashPassword: testHash)
            let directory = DirectoryStore(db: db)
            let street = try #require(try await directory.org(code: "LH-ST-002"))
            let steward = try #require(try await directory.org(code: "LH-STEWARD-01"))
            let user = try await directory.createUser(username: "New-Officer", displayName: "新同事", passwordHash: "h", role: .streetOfficer, orgID: street.id)
            #expect(user.username == "new-officer")
            await #expect(throws: DomainError.self) {
                try await directory.createUser(username: "new-officer", displayName: "x", passwordHash: "h", role: .streetOfficer, orgID: street.id)
            }
            await #expect(throws: DomainError.self) {  // a street officer cannot belong to the steward
                try await directory.createUser(username: "wrong-org", displayName: "x", passwordHash: "h", role: .streetOfficer, orgID: steward.id)
            }
            await #expect(throws: DomainError.self) {  // a staff role needs an org
                try await directory.createUser(username: "no-org", displayName: "x", passwordHash: "h", role: .stewardStaff, orgID: nil)
            }
            await #expect(throws: DomainError.self) {
                try await directory.createUser(username: "x", displayName: "x", passwordHash: "h", role: .resident, orgID: nil)
            }
            #expect(try await directory.user(username: "wrong-org") == nil)
        }
    }

    @Test func actorCarriesTheOrgsAreas() async throws {
        try await withTestDatabase { db in
            try await DemoLoader.load(on: db, hashPassword: testHash)
            let directory = DirectoryStore(db: db)
            let user = try #require(try await directory.user(username: "street-minzhi"))
            let actor = try #require(try await directory.actor(userID: user.id, now: testStart))
            #expect(actor.org?.kind == .streetOffice)
            #expect(actor.orgAreas == [try #require(try await AreaStore(db: db).find(code: "440309002")).id])
            // A steward is assigned nothing by hand: with no contract in force it serves no area.
            let steward = try #require(try await directory.user(username: "steward-dispatch"))
            #expect(try await directory.actor(userID: steward.id, now: testStart)?.orgAreas == [])
            let resident = try #require(try await directory.user(username: "resident-demo"))
            #expect(try await directory.actor(userID: resident.id, now: testStart)?.org == nil)
        }
    }

    @Test func tokensAreStoredHashedExpireAndRevoke() async throws {
        try await withTestDatabase { db in
            try await DemoLoader.load(on: db, hashPassword: testHash)
            let directory = DirectoryStore(db: db)
            let user = try #require(try await directory.user(username: "district-admin"))
            let now = testStart
            let (secret, info) = try await directory.issueToken(userID: user.id, kind: .apiKey, name: "gate", scopes: [.areasRead], expiresAt: now.addingTimeInterval(60))
            #expect(secret.hasPrefix("csk_"))
            #expect(secret.count > 40)
            // The table holds no plaintext.
            let sql = try #require(db as? any SQLDatabase)
            let stored = try await sql.raw("SELECT token_hash FROM api_tokens").all().map { try $0.decode(column: "token_hash", as: String.self) }
            #expect(stored.count == 1 && stored[0] != secret && stored[0].count == 64)
            #expect(try await directory.verifyToken(secret, now: now)?.id == info.id)
            #expect(try await directory.verifyToken(secret, now: now)?.scopes == [.areasRead])
            #expect(try await directory.verifyToken(secret + "x", now: now) == nil)
            #expect(try await directory.verifyToken(secret, now: now.addingTimeInterval(61)) == nil)   // expired
            #expect(try await directory.revokeToken(id: info.id, now: now))
            #expect(try await directory.verifyToken(secret, now: now) == nil)
            #expect(!(try await directory.revokeToken(id: info.id, now: now)))
        }
    }

    @Test func failedLoginsLockTheAccount() async throws {
        try await withTestDatabase { db in
            try await DemoLoader.load(on: db, hashPassword: testHash)
            let directory = DirectoryStore(db: db)
            let user = try #require(try await directory.user(username: "auditor"))
            let throttle = LoginThrottle(maxFailuresPerAccount: 3, lockout: 600)
            let now = testStart
            #expect(try await directory.recordFailedLogin(userID: user.id, now: now, throttle: throttle) == nil)
            #expect(try await directory.recordFailedLogin(userID: user.id, now: now, throttle: throttle) == nil)
            let locked = try await directory.recordFailedLogin(userID: user.id, now: now, throttle: throttle)
            #expect(locked == now.addingTimeInterval(600))
            #expect(try await directory.credentials(username: "auditor")?.lockedUntil != nil)
            try await directory.recordSuccessfulLogin(userID: user.id, now: now)
            #expect(try await directory.credentials(username: "auditor")?.lockedUntil == nil)
        }
    }

    @Test func clientRateLimitWindows() async throws {
        try await withTestDatabase { db in
            let directory = DirectoryStore(db: db)
            let throttle = LoginThrottle(maxAttemptsPerClient: 3, clientWindow: 60)
            let now = testStart
            for _ in 0..<3 {
                let wait = try await directory.hitClient("login:10.0.0.1", now: now, throttle: throttle)
                #expect(wait == nil)
            }
            let limited = try await directory.hitClient("login:10.0.0.1", now: now.addingTimeInterval(10), throttle: throttle)
            #expect(limited.map { (50...51).contains($0) } == true)   // the rest of the window, rounded up
            let other = try await directory.hitClient("login:10.0.0.2", now: now, throttle: throttle)
            #expect(other == nil)
            let nextWindow = try await directory.hitClient("login:10.0.0.1", now: now.addingTimeInterval(61), throttle: throttle)
            #expect(nextWindow == nil)
        }
    }
}
