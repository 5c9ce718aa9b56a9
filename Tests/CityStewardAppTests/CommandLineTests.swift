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

    @Test func passwordsAreRedactedInDatabaseURLs() {
        #expect(DatabaseSetup.redact("postgres://admin:s3cret@db:5432/cs") == "postgres://admin:***@db:5432/cs")
        #expect(!DatabaseLocation.postgres(url: "postgres://admin:s3cret@db/cs").description.contains("s3cret"))
    }

    /// Runs the real command-line entry point in process against a SQLite file, as an administrator would.
    func run(_ arguments: [String], data: String) async -> Int32 {
        await CityStewardMain.run(arguments: ["citysteward"] + arguments + ["--data", data], environment: ["LOG_LEVEL": "error"],
                                  bootstrapLogging: false)
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
