import CityStewardCore
import CityStewardStore
import Fluent
import Foundation
import Crypto
import Vapor

/// The commands Vapor's runner takes, by name (`serve` and `demo` are started by `CityStewardMain` itself).
func cityStewardCommands() -> [(name: String, command: any AnyAsyncCommand)] {
    [
        // Replaces Fluent's interactive `migrate`: deploy scripts run it unattended.
        ("migrate", MigrateCommand()),
        ("init", InitCommand()),
        ("users", UsersCommand()),
        ("orgs", OrgsCommand()),
        ("apikey", APIKeyCommand()),
        ("areas", AreasCommand()),
        ("devices", DevicesCommand()),
        ("keys", KeysCommand()),
        ("audit", AuditCommand()),
        ("synthesize", SynthesizeCommand()),
        ("synthesize-operations", SynthesizeOperationsCommand()),
    ]
}

func registerCommands(_ app: Application) {
    for (name, command) in cityStewardCommands() { app.asyncCommands.use(command, as: name) }
}

struct DevicesCommand: AsyncCommandGroup {
    var help: String { "The register of access gates and cameras: add (with the device's own key), retire, new-key, list." }
    var commands: [String: any AnyAsyncCommand] { ["add": Add(), "retire": Retire(), "new-key": NewKey(), "list": List()] }

    struct Add: AsyncCommand {
        struct Signature: CommandSignature {
            @Option(name: "code", help: "the device's code, e.g. CAM-SZY-03") var code: String?
            @Option(name: "kind", help: "gate or camera") var kind: String?
            @Option(name: "name", help: "a name people understand") var name: String?
            @Option(name: "vendor", help: "e.g. hikvision, dahua (maps AI event codes)") var vendor: String?
            @Option(name: "area", help: "the grid (or building) code where it stands") var area: String?
            @Option(name: "lat", help: "WGS84 latitude") var lat: Double?
            @Option(name: "long", help: "WGS84 longitude") var long: Double?
            @Option(name: "user", help: "the account its key belongs to (a steward's staff)") var user: String?
        }
        var help: String { "Registers a device and issues its key (devices:send), shown once." }
        func run(using context: CommandContext, signature: Signature) async throws {
            let input = DeviceRegistration(code: signature.code ?? "", kind: signature.kind ?? "", name: signature.name ?? "", vendor: signature.vendor ?? "",
                                           areaCode: signature.area ?? "", lat: signature.lat.map { String($0) } ?? "",
                                           long: signature.long.map { String($0) } ?? "", keyHolder: signature.user ?? "")
            let made = try await OrgsCommand.perform(context) {
                try await DeviceRegister(app: context.application, operator: OrgsCommand.operator).register(input)
            }
            context.console.print("registered \(made.device.kind) \(made.device.code); its key (shown once):")
            context.console.print(made.key)
        }
    }

    struct Retire: AsyncCommand {
        struct Signature: CommandSignature {
            @Option(name: "code", help: "the device's code") var code: String?
        }
        var help: String { "Retires a device: its key stops working, its events are refused; what it sent stays." }
        func run(using context: CommandContext, signature: Signature) async throws {
            let device = try await OrgsCommand.perform(context) {
                try await DeviceRegister(app: context.application, operator: OrgsCommand.operator).retire(code: signature.code ?? "")
            }
            context.console.print("retired \(device.code)")
        }
    }

    struct NewKey: AsyncCommand {
        struct Signature: CommandSignature {
            @Option(name: "code", help: "the device's code") var code: String?
        }
        var help: String { "Gives a device a new key (shown once); the old one stops working at once." }
        func run(using context: CommandContext, signature: Signature) async throws {
            let made = try await OrgsCommand.perform(context) {
                try await DeviceRegister(app: context.application, operator: OrgsCommand.operator).rotateKey(code: signature.code ?? "")
            }
            context.console.print("new key of \(made.device.code) (shown once):")
            context.console.print(made.key)
        }
    }

    struct List: AsyncCommand {
        struct Signature: CommandSignature {}
        var help: String { "Lists the registered devices." }
        func run(using context: CommandContext, signature: Signature) async throws {
            for d in try await DeviceStore(db: context.application.db).all() {
                context.console.print("\(d.code)\t\(d.kind)\t\(d.vendor)\t\(d.status)\t\(d.name)")
            }
        }
    }
}

struct KeysCommand: AsyncCommandGroup {
    var help: String { "The key ring that seals personal data: rotate, reseal." }
    var commands: [String: any AnyAsyncCommand] { ["rotate": Rotate(), "reseal": Reseal()] }

    static func reseal(_ context: CommandContext, cipher: FieldCipher) async throws -> KeyRotation.Outcome {
        let outcome = try await KeyRotation.reseal(context.application.db, cipher: cipher)
        context.console.print("re-sealed under \(cipher.keyVersion): \(outcome.residents) residents, \(outcome.residentReports) reporters' phone numbers, \(outcome.deviceEvents) device events, \(outcome.activitySignups) activity sign-ups, \(outcome.webhookSecrets) webhook secrets")
        return outcome
    }

    struct Rotate: AsyncCommand {
        struct Signature: CommandSignature {
            @Option(name: "wait", help: "seconds to wait for running instances to read the new key before re-sealing (default 10)") var wait: Int?
        }
        var help: String { "Adds a new key to the key file, waits for running instances to take it, then re-seals every personal value with it." }
        func run(using context: CommandContext, signature: Signature) async throws {
            let config = context.application.config
            guard config.masterKey == nil else {
                throw CommandFailure(description: "the keys come from CITYSTEWARD_MASTER_KEY: append a new key to it (`v1 OLD,v2 NEW`), restart the instances, then run `citysteward keys reseal`")
            }
            let ring = try MasterKey.load(config)
            let next = (ring.compactMap { Int($0.version.dropFirst()) }.max() ?? 0) + 1
            let rotated = ring + [(version: "v\(next)", key: SymmetricKey(size: .bits256))]
            try MasterKey.write(rotated, to: config.masterKeyFile)
            context.console.print("added key v\(next) to \(config.masterKeyFile); older keys stay to open what is not re-sealed yet")
            let wait = signature.wait ?? 10
            if wait > 0 { try await Task.sleep(for: .seconds(wait)) }
            let outcome = try await KeysCommand.reseal(context, cipher: FieldCipher(ring: rotated))
            try await auditCommand(context, .keysRotated, subject: "keyring", detail: "current=v\(next); residents=\(outcome.residents); reports=\(outcome.residentReports); events=\(outcome.deviceEvents); signups=\(outcome.activitySignups); webhooks=\(outcome.webhookSecrets)")
        }
    }

    struct Reseal: AsyncCommand {
        struct Signature: CommandSignature {}
        var help: String { "Re-seals every personal value not yet under the current key (after a rotation that was interrupted, or a new key set in the environment)." }
        func run(using context: CommandContext, signature: Signature) async throws {
            let cipher = FieldCipher(ring: try MasterKey.load(context.application.config))
            let outcome = try await KeysCommand.reseal(context, cipher: cipher)
            try await auditCommand(context, .keysRotated, subject: "keyring", detail: "resealed under \(cipher.keyVersion); residents=\(outcome.residents); reports=\(outcome.residentReports); events=\(outcome.deviceEvents); signups=\(outcome.activitySignups); webhooks=\(outcome.webhookSecrets)")
        }
    }
}

/// Audit rows for what an operator does on the command line.
func auditCommand(_ context: CommandContext, _ action: AuditAction, subject: String, detail: String = "") async throws {
    let who = ProcessInfo.processInfo.environment["USER"] ?? "operator"
    try await AuditStore(db: context.application.db).append(action: action.rawValue, subject: subject, detail: detail, actorID: nil,
                                                            actorName: "command line (\(who))", at: context.application.clock.now)
}

struct AuditCommand: AsyncCommandGroup {
    var help: String { "The tamper-evident audit log: verify." }
    var commands: [String: any AnyAsyncCommand] { ["verify": Verify()] }

    struct Verify: AsyncCommand {
        struct Signature: CommandSignature {}
        var help: String { "Checks the audit log's hash chain; names the first broken row and exits non-zero if there is one." }
        func run(using context: CommandContext, signature: Signature) async throws {
            let result = try await AuditStore(db: context.application.db).verify()
            if let broken = result.firstBroken {
                throw CommandFailure(description: "audit log broken at row \(broken.seq): \(broken.reason.en) (\(result.rows) rows before it are intact)")
            }
            context.console.print("audit log intact: \(result.rows) rows")
        }
    }
}

struct CommandFailure: Error, CustomStringConvertible {
    var description: String
}

struct MigrateCommand: AsyncCommand {
    struct Signature: CommandSignature {}
    var help: String { "Runs the database migrations that have not run yet." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let migrator = context.application.migrator
        try await migrator.setupIfNeeded().get()
        let pending = try await migrator.previewPrepareBatch().get()
        guard !pending.isEmpty else {
            context.console.print("The database is up to date.")
            return
        }
        try await migrator.prepareBatch().get()
        for (migration, _) in pending { context.console.print("applied \(migration.name)") }
        context.console.print("\(pending.count) migration(s) applied.")
    }
}

// MARK: users

struct UsersCommand: AsyncCommandGroup {
    var help: String { "Manages user accounts: create, set, list, passwd." }
    var commands: [String: any AnyAsyncCommand] {
        ["create": CreateUser(), "list": ListUsers(), "passwd": SetPassword(), "set": SetUser()]
    }

    struct CreateUser: AsyncCommand {
        struct Signature: CommandSignature {
            @Option(name: "username", help: "login name (lowercase letters, digits, - _ .)") var username: String?
            @Option(name: "name", help: "display name") var name: String?
            @Option(name: "role", help: "districtAdmin, streetOfficer, departmentOfficer, stewardDispatcher, stewardStaff, resident, dataConsumer, auditor") var role: String?
            @Option(name: "org", help: "organisation code, e.g. LH-ST-002") var org: String?
            @Option(name: "password", help: "the password (prefer --password-stdin; a random one is printed if neither is given)") var password: String?
            @Flag(name: "password-stdin", help: "read the password from standard input") var passwordStdin: Bool
        }
        var help: String { "Creates a user: --username NAME --name \"显示名\" --role ROLE --org CODE [--password-stdin]" }

        func run(using context: CommandContext, signature: Signature) async throws {
            guard let username = signature.username else { throw CommandFailure(description: "--username is required") }
            guard let role = signature.role else {
                throw CommandFailure(description: "--role must be one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            var password = signature.password
            if signature.passwordStdin { password = context.application.standardInput() }
            let service = try UsersService(app: context.application, actor: nil)
            let created = try await OrgsCommand.perform(context) {
                try await service.create(UserDraft(username: username, displayName: signature.name ?? username, role: role, orgCode: signature.org),
                                         password: password)
            }
            context.console.print("created user \(created.user.username) (\(created.user.role.rawValue)) id \(created.user.id.uuidString.lowercased())")
            if let generated = created.generatedPassword { context.console.print("password: \(generated)  (shown once)") }
        }
    }

    struct SetUser: AsyncCommand {
        struct Signature: CommandSignature {
            @Argument(name: "username") var username: String
            @Option(name: "name", help: "display name") var name: String?
            @Option(name: "role", help: "a role that fits the organisation") var role: String?
            @Option(name: "org", help: "organisation code (\"\" for none)") var org: String?
            @Flag(name: "disable", help: "the account may no longer sign in; its tokens and keys stop working") var disable: Bool
            @Flag(name: "enable", help: "the account may sign in again") var enable: Bool
        }
        var help: String { "Changes an account: USERNAME [--name N] [--role R] [--org CODE] [--disable | --enable]" }
        func run(using context: CommandContext, signature: Signature) async throws {
            guard !(signature.disable && signature.enable) else { throw CommandFailure(description: "--disable or --enable, not both") }
            let active: Bool? = signature.disable ? false : (signature.enable ? true : nil)
            let service = try UsersService(app: context.application, actor: nil)
            let user = try await OrgsCommand.perform(context) {
                try await service.update(username: signature.username, .init(displayName: signature.name, role: signature.role, orgCode: signature.org, isActive: active))
            }
            context.console.print("\(user.username): \(user.role.rawValue), \(user.isActive ? "active" : "disabled")")
        }
    }

    struct ListUsers: AsyncCommand {
        struct Signature: CommandSignature {}
        var help: String { "Lists users." }
        func run(using context: CommandContext, signature: Signature) async throws {
            let directory = DirectoryStore(db: context.application.db)
            let orgs = Dictionary(uniqueKeysWithValues: try await directory.orgs().map { ($0.id, $0.code) })
            for user in try await directory.users() {
                context.console.print("\(user.username)\t\(user.role.rawValue)\t\(user.orgID.flatMap { orgs[$0] } ?? "-")\t\(user.isActive ? "active" : "disabled")")
            }
        }
    }

    struct SetPassword: AsyncCommand {
        struct Signature: CommandSignature {
            @Argument(name: "username") var username: String
            @Flag(name: "password-stdin", help: "read the new password from standard input") var passwordStdin: Bool
        }
        var help: String { "Sets a user's password (from standard input, or a random one that is printed)." }
        func run(using context: CommandContext, signature: Signature) async throws {
            let directory = DirectoryStore(db: context.application.db)
            guard let user = try await directory.user(username: signature.username) else { throw CommandFailure(description: "no user \(signature.username)") }
            let password = signature.passwordStdin ? (context.application.standardInput() ?? "") : UsersService.randomPassword()
            if let problem = CredentialRules.validatePassword(password) { throw CommandFailure(description: problem.en) }
            try await directory.setPassword(userID: user.id, passwordHash: try await context.application.password.async.hash(password))
            try await auditCommand(context, .passwordChanged, subject: "user:\(user.username)")
            context.console.print("password changed for \(user.username)" + (signature.passwordStdin ? "" : ": \(password)  (shown once)"))
        }
    }
}

// MARK: apikey

struct APIKeyCommand: AsyncCommandGroup {
    var help: String { "Manages API keys for integrations and devices: create, list, revoke." }
    var commands: [String: any AnyAsyncCommand] {
        ["create": Create(), "list": List(), "revoke": Revoke()]
    }

    struct Create: AsyncCommand {
        struct Signature: CommandSignature {
            @Option(name: "user", help: "the user the key acts as") var user: String?
            @Option(name: "scope", help: "comma-separated scopes, e.g. areas:read") var scope: String?
            @Option(name: "name", help: "what the key is for") var name: String?
            @Option(name: "expires-days", help: "days until the key expires (default: never)") var expiresDays: Int?
        }
        var help: String { "Creates an API key: --user NAME --scope areas:read[,…] [--name TEXT] [--expires-days N]. Prints the key once." }

        func run(using context: CommandContext, signature: Signature) async throws {
            guard let username = signature.user else { throw CommandFailure(description: "--user is required") }
            guard let scopeText = signature.scope, !scopeText.isEmpty else {
                throw CommandFailure(description: "--scope is required: \(Permission.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            var scopes = Set<Permission>()
            for part in scopeText.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
                guard let permission = Permission(rawValue: part) else {
                    throw CommandFailure(description: "unknown scope \(part); known: \(Permission.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                scopes.insert(permission)
            }
            let directory = DirectoryStore(db: context.application.db)
            guard let user = try await directory.user(username: username) else { throw CommandFailure(description: "no user \(username)") }
            let beyondRole = scopes.subtracting(Permission.granted(to: user.role))
            guard beyondRole.isEmpty else {
                throw CommandFailure(description: "the role \(user.role.rawValue) does not grant \(beyondRole.map(\.rawValue).sorted().joined(separator: ", "))")
            }
            if let days = signature.expiresDays, days <= 0 { throw CommandFailure(description: "--expires-days must be positive") }
            let expires = signature.expiresDays.map { context.application.clock.now.addingTimeInterval(Double($0) * 86_400) }
            let (secret, info) = try await directory.issueToken(userID: user.id, kind: .apiKey, name: signature.name ?? "api key",
                                                                scopes: scopes, expiresAt: expires)
            try await auditCommand(context, .apiKeyCreated, subject: "apikey:\(info.id.uuidString.lowercased())",
                                   detail: "user=\(user.username); scopes=\(scopes.map(\.rawValue).sorted().joined(separator: ","))")
            context.console.print("created API key \(info.id.uuidString.lowercased()) for \(user.username), scopes \(scopes.map(\.rawValue).sorted().joined(separator: ","))")
            context.console.print(secret)
            context.console.print("(the key is shown once; send it as `Authorization: Bearer <key>` or `X-API-Key: <key>`)")
        }
    }

    struct List: AsyncCommand {
        struct Signature: CommandSignature {
            @Option(name: "user", help: "only this user's keys") var user: String?
        }
        var help: String { "Lists API keys (never the secrets)." }
        func run(using context: CommandContext, signature: Signature) async throws {
            let directory = DirectoryStore(db: context.application.db)
            var userID: UUID?
            if let name = signature.user {
                guard let user = try await directory.user(username: name) else { throw CommandFailure(description: "no user \(name)") }
                userID = user.id
            }
            let names = Dictionary(uniqueKeysWithValues: try await directory.users().map { ($0.id, $0.username) })
            for key in try await directory.apiKeys(userID: userID) {
                let state = key.revokedAt != nil ? "revoked" : (key.expiresAt.map { $0 < context.application.clock.now } == true ? "expired" : "active")
                context.console.print("\(key.id.uuidString.lowercased())\t\(key.prefix)…\t\(names[key.userID] ?? "?")\t\((key.scopes ?? []).map(\.rawValue).sorted().joined(separator: ","))\t\(state)\t\(key.name)")
            }
        }
    }

    struct Revoke: AsyncCommand {
        struct Signature: CommandSignature {
            @Argument(name: "id", help: "the key's id (from `apikey list`)") var id: String
        }
        var help: String { "Revokes an API key by id." }
        func run(using context: CommandContext, signature: Signature) async throws {
            guard let id = UUID(uuidString: signature.id) else { throw CommandFailure(description: "not a key id: \(signature.id)") }
            let revoked = try await DirectoryStore(db: context.application.db).revokeToken(id: id, now: context.application.clock.now)
            guard revoked else { throw CommandFailure(description: "no active key with id \(signature.id)") }
            try await auditCommand(context, .apiKeyRevoked, subject: "apikey:\(id.uuidString.lowercased())")
            context.console.print("revoked \(signature.id)")
        }
    }
}

// MARK: areas

struct AreasCommand: AsyncCommandGroup {
    var help: String { "Manages areas: import a GeoJSON file." }
    var commands: [String: any AnyAsyncCommand] { ["import": Import()] }

    struct Import: AsyncCommand {
        struct Signature: CommandSignature {
            @Argument(name: "file", help: "a GeoJSON FeatureCollection (properties: code, name, optional name_en and kind)") var file: String
            @Option(name: "parent", help: "the code of the area the features belong to") var parent: String?
            @Flag(name: "replace", help: "replace the outline and name of areas already under the parent (they keep their cases)") var replace: Bool
            @Flag(name: "dry-run", help: "only print what the import would add and change; write nothing") var dryRun: Bool
        }
        var help: String { "Imports areas from FILE.geojson under --parent CODE; a file with any problem imports nothing." }

        func run(using context: CommandContext, signature: Signature) async throws {
            guard let parent = signature.parent else { throw CommandFailure(description: "--parent CODE is required") }
            let url = URL(fileURLWithPath: signature.file)
            let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? nil
            guard let size else { throw CommandFailure(description: "cannot read \(signature.file)") }
            guard size <= 200 * 1024 * 1024 else { throw CommandFailure(description: "\(signature.file) is larger than 200 MB") }
            let data = try Data(contentsOf: url)
            switch try await ImportAreas(store: AreaStore(db: context.application.db)).run(data, parentCode: parent, replace: signature.replace, dryRun: signature.dryRun) {
            case .success(let outcome):
                let plan = outcome.plan
                for f in plan.creates { context.console.print("add     \(f.code) \(f.name)") }
                for c in plan.changes {
                    context.console.print("replace \(c.feature.code) \(c.feature.name)" + (c.reshaped ? " (outline)" : "") + (c.renamed ? " (name, was \(c.current.name))" : ""))
                }
                let summary = "\(plan.creates.count) new, \(plan.changes.count) changed, \(plan.unchanged.count) unchanged under \(parent)"
                if outcome.applied {
                    context.application.gridLocator.invalidate()
                    if !plan.writesNothing { try await auditCommand(context, .importData, subject: "areas:\(parent)", detail: summary) }
                    context.console.print("imported: \(summary)")
                } else {
                    context.console.print("dry run, nothing written: \(summary)")
                }
            case .failure(let failure):
                for problem in failure.problems { context.console.error(problem.describe(.en)) }
                throw CommandFailure(description: "nothing imported: \(failure.problems.count) problem(s) in \(signature.file)")
            }
        }
    }
}
