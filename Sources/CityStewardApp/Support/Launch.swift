import CityStewardCore
import CityStewardStore
import Foundation
import Logging
import Vapor

/// The `citysteward` entry point. Reads the command line before Vapor does, because `demo` and `serve` choose the
/// database and address themselves and `--data DIR` applies to every command.
public enum CityStewardMain {
    /// What the command line asked for, and the arguments left for Vapor's command runner.
    struct Invocation: Equatable {
        var command: String
        var vaporArguments: [String]
        var dataOverride: String?
        var host: String?
        var port: Int?
    }

    struct UsageError: Error, CustomStringConvertible {
        var description: String
    }

    static func parse(_ arguments: [String]) throws -> Invocation {
        let program = arguments.first ?? "citysteward"
        var rest = Array(arguments.dropFirst())
        func take(_ names: [String]) throws -> String? {
            guard let i = rest.firstIndex(where: { names.contains($0) }) else {
                // --name=value form
                if let i = rest.firstIndex(where: { arg in names.contains { arg.hasPrefix($0 + "=") } }) {
                    let value = String(rest[i].split(separator: "=", maxSplits: 1)[1])
                    rest.remove(at: i)
                    return value
                }
                return nil
            }
            guard i + 1 < rest.count else { throw UsageError(description: "\(rest[i]) needs a value") }
            let value = rest[i + 1]
            rest.removeSubrange(i...(i + 1))
            return value
        }
        let data = try take(["--data"])
        let command = rest.first.flatMap { $0.hasPrefix("-") ? nil : $0 } ?? "serve"
        if rest.first == command { rest.removeFirst() }
        switch command {
        case "demo", "serve":
            // Flags win over HOST/PORT; Vapor's serve gets the resolved address once.
            let host = try take(["--host", "--hostname", "-H"])
            let portText = try take(["--port", "-p"])
            var port: Int?
            if let portText {
                guard let value = Int(portText), (1...65535).contains(value) else {
                    throw UsageError(description: "--port must be 1–65535 (got \(portText))")
                }
                port = value
            }
            return Invocation(command: command, vaporArguments: [program, "serve"] + rest,
                              dataOverride: command == "demo" ? (data ?? AppConfig.defaultDataDirectory) : data,
                              host: host, port: port)
        default:
            return Invocation(command: command, vaporArguments: [program, command] + rest, dataOverride: data)
        }
    }

    /// `standardInput` is where `--password-stdin` reads (tests pass their own).
    public static func run(arguments: [String] = CommandLine.arguments,
                           environment: [String: String] = ProcessInfo.processInfo.environment,
                           bootstrapLogging: Bool = true,
                           standardInput: @escaping @Sendable () -> String? = { readLine(strippingNewline: true) }) async -> Int32 {
        // Help and the version before anything is read or opened.
        if let usage = await Usage.answer(arguments) {
            (usage.status == 0 ? FileHandle.standardOutput : FileHandle.standardError).write(Data(usage.text.utf8))
            return usage.status
        }
        let invocation: Invocation
        do {
            invocation = try parse(arguments)
        } catch {
            FileHandle.standardError.write(Data("citysteward: \(error)\n".utf8))
            return 64
        }
        let isDemo = invocation.command == "demo"
        var vaporArguments = invocation.vaporArguments
        // `serve` is the production start unless --env says otherwise; `demo` runs in development.
        if !vaporArguments.contains(where: { $0 == "--env" || $0 == "-e" || $0.hasPrefix("--env=") }) {
            vaporArguments += ["--env", invocation.command == "serve" ? "production" : "development"]
        }
        var config: AppConfig
        let vaporEnvironment: Vapor.Environment
        do {
            vaporEnvironment = try Vapor.Environment.detect(arguments: vaporArguments)
            config = try AppConfig.load(environment: environment, dataOverride: invocation.dataOverride,
                                        production: vaporEnvironment.isRelease)
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            return 78
        }
        if isDemo {
            // The demo runs on the embedded SQLite file in the data directory, with its demo logins — never on
            // DATABASE_URL, which may be a real district's. Only a PostgreSQL database named for the demo alone
            // (CITYSTEWARD_DEMO_DATABASE_URL: the load tests' copy of the demo on PostgreSQL) takes its place.
            if let url = environment["CITYSTEWARD_DEMO_DATABASE_URL"], url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
                config.database = .postgres(url: url)
            } else {
                config.database = .sqliteFile(path: (config.dataDirectory as NSString).appendingPathComponent("citysteward.sqlite"))
            }
            config.isDemo = true
            config.autoMigrate = true
            config.secureCookies = false
        }
        // A statement timeout is for requests; a command may rightly run long (a migration on a million cases).
        if invocation.command != "serve" && !isDemo {
            config.statementTimeoutMilliseconds = 0
            // Background rounds belong to the serving process. In a command they started after a minute and met a
            // long `migrate` on a busy machine: a round's write lock failed a migration halfway (a table made, its
            // index not, nothing recorded), and every later `migrate` stopped on "table already exists".
            config.sweepInterval = 0
            config.feedPushInterval = 0
            config.hotlinePushInterval = 0
        }
        if let host = invocation.host { config.host = host }
        if let port = invocation.port { config.port = port }
        var env = vaporEnvironment
        if invocation.command == "serve" || isDemo {
            env.arguments += ["--hostname", config.host, "--port", String(config.port)]
        }
        if bootstrapLogging { LogSetup.bootstrap(config) }

        let app: Application
        do {
            app = try await Application.make(env)
        } catch {
            FileHandle.standardError.write(Data("citysteward: \(error)\n".utf8))
            return 70
        }
        var status: Int32 = 0
        app.standardInput = standardInput
        do {
            try await configure(app, config: config)
            // `init` sets a district up from nothing, unattended: it brings the schema up to date on PostgreSQL too.
            if (config.autoMigrate || invocation.command == "init") && invocation.command != "migrate" {
                try await app.autoMigrate()
            } else if invocation.command == "serve" {
                try await requireMigrated(app)
            }
            if invocation.command == "serve", try await DemoLoader.isEmpty(app.db) {
                FileHandle.standardError.write(Data("""
                    citysteward: this database has no district yet (\(config.database.description)). Set it up first:
                      citysteward init --admin USERNAME --password-stdin                  (the built-in Longhua reference set)
                      citysteward init --admin USERNAME --password-stdin --geojson FILE   (your district and streets)
                    or try the product with its demo data: citysteward demo

                    """.utf8))
                try? await app.asyncShutdown()
                return 78
            }
            if isDemo {
                let database = app.db
                if try await DemoLoader.isEmpty(database) {
                    let summary = try await DemoLoader.load(on: database) { password in
                        try await app.password.async.hash(password)
                    }
                    app.logger.notice("Loaded the demo district: \(summary.areasCreated) areas, \(summary.orgsCreated) organisations, \(summary.usersCreated) users")
                }
                try await DemoLoader.loadCaseReference(app.caseReference.shipped, on: database, now: app.clock.now)
                try await DemoCases.load(app)
                let deviceKey = try await DemoDevices.load(app)
                let residents = try await DemoLoader.loadResidents(on: database, cipher: app.fieldCipher, now: app.clock.now)
                if residents > 0 { app.logger.notice("Loaded \(residents) synthetic residents (sealed with the data folder's key)") }
                if try await DemoOperations.load(app) { app.logger.notice("Loaded the demo steward's team, work plans and their tasks since last month") }
                if try await DemoAssets.load(app) { app.logger.notice("Loaded the demo asset register") }
                if try await DemoShifts.load(app) { app.logger.notice("Loaded the demo steward's roster since last month") }
                if try await DemoCaseHistory.load(app) { app.logger.notice("Loaded the demo villages' cases since the first of January last year") }
                if try await DemoSpotChecks.load(app) { app.logger.notice("Loaded this year's demo spot checks") }
                if try await DemoAssessment.load(app) { app.logger.notice("Loaded last year's and this year's published assessment plans") }
                // After the assessment: the bills' payment coefficient reads the villages' scores.
                if try await DemoFinance.load(app) { app.logger.notice("Loaded a year of demo billing, fees, subsidies and ledger entries") }
                if try await DemoNotices.load(app) { app.logger.notice("Loaded the demo notices to residents (the contract's among them)") }
                if try await DemoActivities.load(app) { app.logger.notice("Loaded the demo village's theme and activities") }
                if try await DemoDeliberations.load(app) { app.logger.notice("Loaded the demo village's deliberation items (one decided into a case)") }
                if try await DemoMeetings.load(app) { app.logger.notice("Loaded the demo coordination meetings (an overdue action item carried forward)") }
                print(demoBanner(config, residentLink: "/t/" + app.fieldCipher.derivedToken("tracking", DemoCases.residentFormKeys[0]), deviceKey: deviceKey))
                fflush(nil)   // all output streams: the banner is read by people and scripts before the server ever stops
            }
            try await app.execute()
        } catch {
            app.logger.critical("\(String(reflecting: error))")
            FileHandle.standardError.write(Data("citysteward: \(error)\n".utf8))
            status = 1
        }
        try? await app.asyncShutdown()
        return status
    }

    /// PostgreSQL deployments migrate as a separate step; refuse to serve an out-of-date schema.
    static func requireMigrated(_ app: Application) async throws {
        try await app.migrator.setupIfNeeded().get()
        let pending = try await app.migrator.previewPrepareBatch().get()
        guard pending.isEmpty else {
            throw UsageError(description: "the database needs \(pending.count) migration(s) (\(pending.map(\.0.name).joined(separator: ", "))): run `citysteward migrate` first")
        }
    }

    static func demoBanner(_ config: AppConfig, residentLink: String? = nil, deviceKey: String? = nil) -> String {
        let url = "http://\(config.host.contains(":") ? "[\(config.host)]" : config.host):\(config.port)"
        var lines = [
            "",
            "City Steward 城市管家 — demo district (龙华区)",
            "  open:      \(url)",
            "  database:  \(config.database.description)",
            "  logins (password \(DemoDistrict.password)):",
        ]
        for user in DemoDistrict.users {
            lines.append("    \(user.username.padding(toLength: 18, withPad: " ", startingAt: 0)) \(user.role.label.en) — \(user.displayName)")
        }
        lines.append("  residents (no login):")
        lines.append("    report:    \(url)/report       QR codes: \(url)/q/\(DemoDistrict.villageCodes[2])/sheet")
        if let residentLink { lines.append("    a resident's closed case, to rate or reopen: \(url)\(residentLink)") }
        lines.append("    find by phone \(DemoCases.residentPhone): \(url)/find?phone=\(DemoCases.residentPhone)  (the text message's code is printed in this log)")
        lines.append("  Open311:   \(url)/open311/v2/services.xml   (anonymous posting on)")
        if let deviceKey {
            lines.append("  devices:   GATE-01…06 and CAM-01…06 send to \(url)/api/v1/device-events with the key (shown this once):")
            lines.append("             \(deviceKey)")
        }
        lines.append("")
        return lines.joined(separator: "\n")
    }
}
