@testable import CityStewardApp
import CityStewardCore
import CityStewardStore
import CityStewardTestSupport
import FluentKit
import Foundation
import Logging
import Crypto
import SQLKit
import NIOPosix
import Testing
import Vapor

@Suite("Command line")
struct CommandLineTests {
    @Test func demoAndServeTakeTheirAddressAndData() throws {
        let demo = try CityStewardMain.parse(["citysteward", "demo", "--port", "9000", "--host", "0.0.0.0", "--data", "/tmp/x"])
        #expect(demo.command == "demo")
        #expect(demo.port == 9000)
        #expect(demo.host == "0.0.0.0")
        #expect(demo.dataOverride == "/tmp/x")
        #expect(demo.vaporArguments == ["citysteward", "serve"])
        #expect(try CityStewardMain.parse(["citysteward", "demo"]).dataOverride == "./data")
        let serve = try CityStewardMain.parse(["citysteward", "serve", "--port=8081"])
        #expect(serve.port == 8081)
        #expect(serve.dataOverride == nil)
        #expect(try CityStewardMain.parse(["citysteward"]).command == "serve")
        let other = try CityStewardMain.parse(["citysteward", "areas", "import", "f.geojson", "--parent", "440309", "--data", "d"])
        #expect(other.vaporArguments == ["citysteward", "areas", "import", "f.geojson", "--parent", "440309"])
        #expect(other.dataOverride == "d")
        #expect(throws: CityStewardMain.UsageError.self) { try CityStewardMain.parse(["citysteward", "demo", "--port", "99999"]) }
        #expect(throws: CityStewardMain.UsageError.self) { try CityStewardMain.parse(["citysteward", "demo", "--data"]) }
    }

    /// Help and the version answer from the commands' descriptions: no configuration, no database, no data folder.
    @Test func helpAndVersionHaveNoSideEffects() async throws {
        let directory = NSTemporaryDirectory() + "citysteward-help-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for arguments in [["--help"], ["-h"], ["help"], ["users", "create", "--help"], ["help", "devices"], ["serve", "--help"], ["--version"], ["version"]] {
            #expect(await run(arguments, data: directory) == 0, "\(arguments)")
            #expect(!FileManager.default.fileExists(atPath: directory), "\(arguments) made the data folder")
        }
        let top = try #require(await Usage.answer(["citysteward", "--help"]))
        // Each command on a line of its own, names right-aligned to the longest.
        let width = top.text.split(separator: "\n").filter { $0.hasPrefix("  ") }.map { $0.prefix { $0 == " " }.count + ($0.drop { $0 == " " }.prefix { $0 != " " }.count) }.max() ?? 0
        for command in ["serve", "demo", "init", "migrate", "users", "orgs", "apikey", "areas", "devices", "keys", "audit", "synthesize", "synthesize-operations"] {
            #expect(top.text.contains("\n" + String(repeating: " ", count: max(0, width - command.count)) + command + " "), "\(command) listed")
        }
        let create = try #require(await Usage.answer(["citysteward", "users", "create", "--help", "--data", "/nowhere"]))
        #expect(create.status == 0 && create.text.contains("--username") && create.text.contains("password-stdin"))
        #expect(try #require(await Usage.answer(["citysteward", "help", "devices"])).text.contains("new-key"))
        #expect(try #require(await Usage.answer(["citysteward", "--version"])).text.hasPrefix("citysteward \(Usage.version) "))
        let unknown = try #require(await Usage.answer(["citysteward", "help", "frobnicate"]))
        #expect(unknown.status == 64 && unknown.text.contains("--help"))
        #expect(await run(["help", "frobnicate"], data: directory) == 64)
        #expect(await Usage.answer(["citysteward", "serve", "--port", "8081"]) == nil)   // not a question: the server starts
        #expect(await Usage.answer(["citysteward"]) == nil)
    }

    @Test func configurationFromTheEnvironment() throws {
        let sqlite = try AppConfig.load(environment: ["CITYSTEWARD_DATA_DIR": "/srv/cs", "PORT": "9090", "LOG_FORMAT": "json"], production: true)
        #expect(sqlite.database == .sqliteFile(path: "/srv/cs/citysteward.sqlite"))
        #expect(sqlite.port == 9090)
        #expect(sqlite.logFormat == .json)
        #expect(sqlite.secureCookies)
        #expect(sqlite.autoMigrate)
        #expect(sqlite.logLevel == .notice)
        let pg = try AppConfig.load(environment: ["DATABASE_URL": "postgres://u:p@db:5432/cs"], production: true)
        #expect(pg.database == .postgres(url: "postgres://u:p@db:5432/cs"))
        #expect(!pg.autoMigrate)
        #expect(try AppConfig.load(environment: [:], dataOverride: "/d", production: false).database == .sqliteFile(path: "/d/citysteward.sqlite"))
        // Every problem is reported at once.
        do {
            _ = try AppConfig.load(environment: ["PORT": "http", "LOG_LEVEL": "loud", "DATABASE_URL": "mysql://x"], production: true)
            Issue.record("expected the configuration to be refused")
        } catch let error as AppConfig.Invalid {
            #expect(error.problems.count == 3)
            #expect(!error.description.contains("mysql://x:"))
        }
    }

    @Test func theSMSGatewayIsConfiguredByItsAddress() throws {
        let config = try AppConfig.load(environment: ["CITYSTEWARD_SMS_URL": "https://sms.example.cn/send", "CITYSTEWARD_SMS_TOKEN": "t0k"], production: true)
        #expect(config.smsURL == "https://sms.example.cn/send" && config.smsToken == "t0k")
        #expect(throws: AppConfig.Invalid.self) { try AppConfig.load(environment: ["CITYSTEWARD_SMS_URL": "sms.example.cn"], production: true) }
        #expect(try AppConfig.load(environment: [:], production: true).smsURL == nil)
    }

    @Test func passwordsAreRedactedInDatabaseURLs() {
        #expect(DatabaseSetup.redact("postgres://admin:s3cret@db:5432/cs") == "postgres://admin:***@db:5432/cs")
        #expect(!DatabaseLocation.postgres(url: "postgres://admin:s3cret@db/cs").description.contains("s3cret"))
    }

    /// Runs the real command-line entry point in process against a SQLite file, as an administrator would.
    func run(_ arguments: [String], data: String, input: String? = nil) async -> Int32 {
        await CityStewardMain.run(arguments: ["citysteward"] + arguments + ["--data", data], environment: ["LOG_LEVEL": "error"],
                                  bootstrapLogging: false, standardInput: { input })
    }

    /// The first run of a real district, as its administrator would type it: no demo loader anywhere.
    @Test func aRealDistrictIsSetUpFromAnEmptyDatabase() async throws {
        let directory = NSTemporaryDirectory() + "citysteward-cli-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(await run(["serve"], data: directory) == 78)   // says what to run instead of serving nothing
        #expect(await run(["init", "--admin", "admin"], data: directory) != 0)   // no password: nothing set up
        #expect(await run(["init", "--admin", "admin", "--password-stdin"], data: directory, input: "short") != 0)
        #expect(await run(["init", "--admin", "Admin", "--name", "王主任", "--password-stdin"], data: directory, input: "a-long-password") == 0)
        #expect(await run(["init", "--admin", "admin", "--password-stdin"], data: directory, input: "another-password") == 0)   // again: nothing new
        #expect(await run(["orgs", "create", "--code", "lh-st-002", "--name", "民治街道办事处", "--kind", "streetOffice", "--areas", "440309002"],
                          data: directory) == 0)
        #expect(await run(["orgs", "create", "--code", "LH-ST-002", "--name", "又一个", "--kind", "streetOffice"], data: directory) != 0)
        #expect(await run(["orgs", "create", "--code", "LH-X", "--name", "民治", "--kind", "club", "--areas", "440309002"], data: directory) != 0)
        #expect(await run(["orgs", "create", "--code", "LH-ZJJ", "--name", "区住房建设局", "--kind", "department"], data: directory) == 0)
        #expect(await run(["orgs", "assign", "LH-ZJJ", "--areas", "440309002001V01"], data: directory) != 0)   // no such area
        #expect(await run(["users", "create", "--username", "li-wei", "--role", "streetOfficer", "--org", "LH-ST-002", "--password-stdin"],
                          data: directory, input: "a-long-password") == 0)
        #expect(await run(["users", "set", "li-wei", "--role", "stewardStaff"], data: directory) != 0)   // not in a street office
        #expect(await run(["users", "set", "li-wei", "--name", "李伟（离职）", "--disable"], data: directory) == 0)
        #expect(await run(["audit", "verify"], data: directory) == 0)

        let databases = Databases(threadPool: NIOThreadPool.singleton, on: MultiThreadedEventLoopGroup.singleton)
        try DatabaseSetup.register(.sqliteFile(path: directory + "/citysteward.sqlite"), on: databases)
        let db = databases.database(logger: Logger(label: "test"), on: MultiThreadedEventLoopGroup.singleton.any())!
        do {
            let areas = try await AreaStore(db: db).list(scope: .everything)
            #expect(areas.map(\.code).sorted() == ["440309"] + DistrictSetup.longhua.streets.map(\.code))
            let district = try #require(areas.first { $0.kind == .district })
            #expect(areas.filter { $0.kind == .street }.allSatisfy { $0.parentID == district.id && $0.streetID == $0.id && $0.path == [district.id, $0.id] })
            let store = DirectoryStore(db: db)
            let office = try #require(try await store.org(code: "LH-OFFICE"))
            #expect(office.kind == .districtOffice)
            #expect(try await store.areaIDs(ofOrg: office.id) == [district.id])
            let admin = try #require(try await store.user(username: "admin"))
            #expect(admin.role == .districtAdmin && admin.orgID == office.id && admin.displayName == "王主任")
            let credentials = try #require(try await store.credentials(username: "admin"))
            #expect(credentials.passwordHash.hasPrefix("$2b$"))   // the second run did not change the password…
            #expect(try Bcrypt.verify("a-long-password", created: credentials.passwordHash))
            let street = try #require(try await store.org(code: "LH-ST-002"))
            #expect(street.kind == .streetOffice)
            #expect(try await store.areaIDs(ofOrg: street.id) == [try #require(areas.first { $0.code == "440309002" }).id])
            #expect(try await store.org(code: "LH-X") == nil)   // the refused one left nothing behind
            let li = try #require(try await store.user(username: "li-wei"))
            #expect(li.orgID == street.id && li.role == .streetOfficer && !li.isActive && li.displayName == "李伟（离职）")
            #expect(try await TaxonomyStore(db: db).current(deviceEvents: []).categories.count > 100)   // the shipped catalog, for intake and routing
            let audit = try await AuditStore(db: db).list(AuditStore.Filter()).rows
            #expect(Set(audit.map(\.action)).isSuperset(of: ["import", "org.changed", "user.created"]))
            #expect(try await DemoLoader.isEmpty(db) == false)
        } catch {
            await databases.shutdownAsync()
            throw error
        }
        await databases.shutdownAsync()
    }

    @Test func initTakesADistrictsOwnGeoJSONAndRefusesABadOneWhole() async throws {
        let directory = NSTemporaryDirectory() + "citysteward-cli-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        func square(_ x: Double) -> String { "[[\(x),22.6],[\(x + 0.05),22.6],[\(x + 0.05),22.65],[\(x),22.65],[\(x),22.6]]" }
        func feature(_ code: String, _ name: String, _ kind: String, _ x: Double) -> String {
            #"{"type":"Feature","properties":{"code":"\#(code)","name":"\#(name)","kind":"\#(kind)"},"geometry":{"type":"Polygon","coordinates":[\#(square(x))]}}"#
        }
        let good = directory + "/district.geojson", bad = directory + "/bad.geojson"
        try #"{"type":"FeatureCollection","features":[\#(feature("440306", "宝安区", "district", 113.8)),\#(feature("440306001", "新安街道", "street", 113.8))]}"#
            .write(toFile: good, atomically: true, encoding: .utf8)
        try #"{"type":"FeatureCollection","features":[\#(feature("440306", "宝安区", "district", 113.8)),\#(feature("440309001", "别区街道", "street", 113.8))]}"#
            .write(toFile: bad, atomically: true, encoding: .utf8)
        #expect(await run(["init", "--admin", "admin", "--password-stdin", "--geojson", bad], data: directory, input: "a-long-password") != 0)
        #expect(await run(["init", "--admin", "admin", "--password-stdin", "--office-code", "X"], data: directory, input: "a-long-password") != 0)
        #expect(await run(["init", "--admin", "admin", "--password-stdin", "--geojson", good, "--office-code", "BA-OFFICE"], data: directory,
                          input: "a-long-password") == 0)
        // A second district in the same database is refused.
        #expect(await run(["init", "--admin", "admin", "--password-stdin"], data: directory, input: "a-long-password") != 0)

        let databases = Databases(threadPool: NIOThreadPool.singleton, on: MultiThreadedEventLoopGroup.singleton)
        try DatabaseSetup.register(.sqliteFile(path: directory + "/citysteward.sqlite"), on: databases)
        let db = databases.database(logger: Logger(label: "test"), on: MultiThreadedEventLoopGroup.singleton.any())!
        do {
            let areas = try await AreaStore(db: db).list(scope: .everything, includeShapes: true)
            #expect(areas.map(\.code).sorted() == ["440306", "440306001"])
            #expect(areas.allSatisfy { $0.shape != nil })
            #expect(try await DirectoryStore(db: db).org(code: "BA-OFFICE")?.name == "宝安区城市管家专项工作组办公室")
        } catch {
            await databases.shutdownAsync()
            throw error
        }
        await databases.shutdownAsync()
    }

    func withDataDirectory(_ body: (String, any Database) async throws -> Void) async throws {
        let directory = NSTemporaryDirectory() + "citysteward-cli-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(await run(["migrate"], data: directory) == 0)
        let databases = Databases(threadPool: NIOThreadPool.singleton, on: MultiThreadedEventLoopGroup.singleton)
        try DatabaseSetup.register(.sqliteFile(path: directory + "/citysteward.sqlite"), on: databases)
        let db = databases.database(logger: Logger(label: "test"), on: MultiThreadedEventLoopGroup.singleton.any())!
        try await DemoLoader.load(on: db, hashPassword: testHash)
        do {
            try await body(directory, db)
        } catch {
            await databases.shutdownAsync()
            throw error
        }
        await databases.shutdownAsync()
    }

    @Test func migrateCreatesTheFileInWALMode() async throws {
        try await withDataDirectory { directory, db in
            #expect(FileManager.default.fileExists(atPath: directory + "/citysteward.sqlite"))
            let mode = try await DatabaseSetup.journalMode(db)
            #expect(mode == "wal")
            #expect(await run(["migrate"], data: directory) == 0)   // a second run finds nothing to do
        }
    }

    @Test func areasImportAcceptsAGoodFileAndRejectsABadOneWhole() async throws {
        try await withDataDirectory { directory, db in
            let good = directory + "/good.geojson"
            let bad = directory + "/bad.geojson"
            let square = "[[114.10,22.80],[114.101,22.80],[114.101,22.801],[114.10,22.801],[114.10,22.80]]"
            try """
            {"type":"FeatureCollection","features":[
             {"type":"Feature","properties":{"code":"440309005004901","name":"新网格一"},"geometry":{"type":"Polygon","coordinates":[\(square)]}},
             {"type":"Feature","properties":{"code":"440309005004902","name":"新网格二"},"geometry":{"type":"Polygon","coordinates":[\(square)]}}]}
            """.write(toFile: good, atomically: true, encoding: .utf8)
            try """
            {"type":"FeatureCollection","features":[
             {"type":"Feature","properties":{"code":"440309005004903","name":"好的"},"geometry":{"type":"Polygon","coordinates":[\(square)]}},
             {"type":"Feature","properties":{"code":"440309005004904","name":"坏的"},"geometry":{"type":"Point","coordinates":[114.1,22.8]}}]}
            """.write(toFile: bad, atomically: true, encoding: .utf8)
            #expect(await run(["areas", "import", bad, "--parent", "440309005004V01"], data: directory) != 0)
            #expect(await run(["areas", "import", good, "--parent", "NOPE"], data: directory) != 0)
            let notImported = try await AreaStore(db: db).find(code: "440309005004903")
            #expect(notImported == nil)   // the good feature of the bad file is not in
            #expect(await run(["areas", "import", good, "--parent", "440309005004V01"], data: directory) == 0)
            #expect(await run(["areas", "import", good, "--parent", "440309005004V01"], data: directory) != 0)   // codes now taken
            do {
                let grid = try #require(try await AreaStore(db: db).find(code: "440309005004902"))
                #expect(grid.kind == .grid)
                #expect(grid.shape != nil)
            }
        }
    }

    @Test func usersAndAPIKeysFromTheCommandLine() async throws {
        try await withDataDirectory { directory, db in
            #expect(await run(["users", "create", "--username", "li-wei", "--name", "李伟", "--role", "streetOfficer", "--org", "LH-ST-002",
                               "--password", "a-long-password"], data: directory) == 0)
            #expect(await run(["users", "create", "--username", "li-wei", "--role", "streetOfficer", "--org", "LH-ST-002"], data: directory) != 0)
            #expect(await run(["users", "create", "--username", "wang", "--role", "streetOfficer", "--org", "LH-STEWARD-01"], data: directory) != 0)
            #expect(await run(["apikey", "create", "--user", "li-wei", "--scope", "areas:read", "--name", "gis"], data: directory) == 0)
            #expect(await run(["apikey", "create", "--user", "li-wei", "--scope", "users:manage"], data: directory) != 0)   // beyond the role
            #expect(await run(["apikey", "create", "--user", "li-wei", "--scope", "areas:everything"], data: directory) != 0)
            do {
                let directoryStore = DirectoryStore(db: db)
                let user = try #require(try await directoryStore.user(username: "li-wei"))
                #expect(user.role == .streetOfficer)
                #expect(user.displayName == "李伟")
                let keys = try await directoryStore.apiKeys(userID: user.id)
                #expect(keys.count == 1)
                #expect(keys[0].scopes == [.areasRead])
                #expect(keys[0].name == "gis")
                #expect(await run(["apikey", "revoke", keys[0].id.uuidString], data: directory) == 0)
                let revoked = try await directoryStore.apiKeys(userID: user.id)
                #expect(revoked[0].revokedAt != nil)
                // The stored password is a real Bcrypt hash that verifies.
                let credentials = try #require(try await directoryStore.credentials(username: "li-wei"))
                #expect(credentials.passwordHash.hasPrefix("$2b$"))
            }
        }
    }

    @Test func auditVerifyNamesTheFirstBrokenRow() async throws {
        try await withDataDirectory { directory, db in
            #expect(await run(["users", "create", "--username", "zhao", "--role", "streetOfficer", "--org", "LH-ST-002",
                               "--password", "a-long-password"], data: directory) == 0)
            #expect(await run(["users", "passwd", "zhao"], data: directory) == 0)   // a random password, printed
            let rows = try await AuditStore(db: db).list(AuditStore.Filter()).rows
            #expect(Set(rows.map(\.action)) == ["user.created", "user.password"])
            #expect(rows.allSatisfy { $0.actorName.hasPrefix("command line") })
            #expect(await run(["audit", "verify"], data: directory) == 0)
            let sql = db as! any SQLDatabase
            try await sql.raw("DROP TRIGGER audit_log_no_update").run()
            try await sql.raw("UPDATE audit_log SET subject = 'user:nobody' WHERE seq = 1").run()
            #expect(await run(["audit", "verify"], data: directory) != 0)
        }
    }

    @Test func keysRotateReSealsEveryPersonalValueWhileTheOldKeyStillOpens() async throws {
        try await withDataDirectory { directory, db in
            // `migrate` made the key file (mode 0600) when it configured the app.
            let keyFile = directory + "/master.key"
            let mode = try FileManager.default.attributesOfItem(atPath: keyFile)[.posixPermissions] as? NSNumber
            #expect(mode?.intValue == 0o600)
            let before = FieldCipher(ring: try #require(FieldCipher.parseRing(try String(contentsOfFile: keyFile, encoding: .utf8))))
            #expect(before.versions == ["v1"])
            try await DemoLoader.loadResidents(on: db, cipher: before, count: 40, now: testStart)
            let oldRows = try await ResidentStore(db: db).list(scope: .everything, limit: 100).rows
            let plain = try oldRows.map { try before.open($0.idSealed) }
            // A gate pass and a webhook secret are sealed too, and are re-sealed with the rest.
            let sql = db as! any SQLDatabase
            let eventID = UUID(), consumerID = UUID()
            try await sql.insert(into: "device_events")
                .columns("id", "seq", "device_id", "client_id", "kind", "at", "received_at", "area_path", "person_sealed", "plate_sealed")
                .values(SQLBind(eventID), SQLBind(Int64(1)), SQLBind(UUID()), SQLBind("c-1"), SQLBind("gate"), SQLBind(testStart), SQLBind(testStart), SQLBind("/x/"),
                        SQLBind(try before.seal("440309199001010011")), SQLBind(try before.seal("粤B12345"))).run()
            try await sql.insert(into: "consumer_webhooks")
                .columns("consumer_id", "url", "secret_sealed", "cursor", "failures", "next_attempt_at", "delivered_events", "changed_by", "changed_at")
                .values(SQLBind(consumerID), SQLBind("http://127.0.0.1:9/x"), SQLBind(try before.seal("s3cret-s3cret-s3cret-s3cret-s3cret")), SQLBind(Int64(0)),
                        SQLBind(0), SQLBind(testStart), SQLBind(Int64(0)), SQLBind("test"), SQLBind(testStart)).run()
            // An instance that is running takes the new key when the file changes.
            var config = AppConfig.testing()
            config.dataDirectory = directory
            let running = try KeyRing(config: config, recheck: .zero)
            #expect(running.cipher.keyVersion == "v1")

            #expect(await run(["keys", "rotate", "--wait", "0"], data: directory) == 0)
            let after = FieldCipher(ring: try #require(FieldCipher.parseRing(try String(contentsOfFile: keyFile, encoding: .utf8))))
            #expect(after.versions == ["v1", "v2"])
            #expect(running.cipher.keyVersion == "v2")
            let newRows = try await ResidentStore(db: db).list(scope: .everything, limit: 100).rows
            #expect(newRows.count == 40 && newRows.allSatisfy { $0.keyVersion == "v2" && $0.idSealed.hasPrefix("v2:") })
            #expect(try newRows.map { try after.open($0.idSealed) }.sorted() == plain.sorted())
            #expect(Set(newRows.map(\.idSealed)).isDisjoint(with: oldRows.map(\.idSealed)))
            let event = try #require(try await sql.select().column("person_sealed").column("plate_sealed").from("device_events").where("id", .equal, eventID).first())
            let person = try event.decode(column: "person_sealed", as: String.self), plate = try event.decode(column: "plate_sealed", as: String.self)
            let (openedPerson, openedPlate) = (try after.open(person), try after.open(plate))
            #expect(person.hasPrefix("v2:") && openedPerson == "440309199001010011" && openedPlate == "粤B12345")
            let secret = try #require(try await sql.select().column("secret_sealed").from("consumer_webhooks").where("consumer_id", .equal, consumerID)
                .first()?.decode(column: "secret_sealed", as: String.self))
            let openedSecret = try after.open(secret)
            #expect(secret.hasPrefix("v2:") && openedSecret == "s3cret-s3cret-s3cret-s3cret-s3cret")
            // Search by the new index finds them; a ring with only the new key opens them.
            let someone = plain[0]
            #expect(try await ResidentStore(db: db).list(scope: .everything, filter: .init(idIndexes: [after.blindIndex(someone)])).total == 1)
            // A phone too: its index is the E.164 number's, whatever form it was sealed in.
            let withPhone = try #require(newRows.first { $0.phoneSealed != nil })
            let sealedPhone = try #require(withPhone.phoneSealed)
            let number = try #require(PhoneNumber.parse(try after.open(sealedPhone)))
            let byPhone = try await ResidentStore(db: db).list(scope: .everything, filter: .init(phoneIndexes: after.blindIndexes(number.e164)))
            #expect(byPhone.rows.contains { $0.id == withPhone.id })
            let v2 = try #require(FieldCipher.parseRing(try String(contentsOfFile: keyFile, encoding: .utf8))?.first { $0.version == "v2" }?.key)
            let onlyNew = FieldCipher(ring: [("v2", v2)])
            #expect(try onlyNew.open(newRows[0].idSealed) == (try after.open(newRows[0].idSealed)))
            // Rotated again: nothing left under v2 afterwards; the audit log records both and stays whole.
            #expect(await run(["keys", "rotate", "--wait", "0"], data: directory) == 0)
            #expect(try await ResidentStore(db: db).list(scope: .everything, limit: 100).rows.allSatisfy { $0.keyVersion == "v3" })
            #expect(try await AuditStore(db: db).list(AuditStore.Filter(action: "keys.rotated")).total == 2)
            #expect(await run(["keys", "reseal"], data: directory) == 0)   // nothing to do, still fine
            #expect(await run(["audit", "verify"], data: directory) == 0)
        }
    }
}
