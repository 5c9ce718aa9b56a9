import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

extension Application {
    private struct StandardInputKey: StorageKey {
        typealias Value = @Sendable () -> String?
    }

    /// Where commands read a secret given with `--password-stdin` (one line); tests give their own.
    var standardInput: @Sendable () -> String? {
        get { storage[StandardInputKey.self] ?? { readLine(strippingNewline: true) } }
        set { storage[StandardInputKey.self] = newValue }
    }
}

/// `citysteward init`: the first run of a real district. Unattended and idempotent: a second run adds only what is
/// missing and says what it left as it was.
struct InitCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "admin", help: "the first administrator's username") var admin: String?
        @Option(name: "name", help: "the administrator's display name (default: 区专项办管理员)") var name: String?
        @Flag(name: "password-stdin", help: "read the administrator's password from standard input") var passwordStdin: Bool
        @Option(name: "geojson", help: "a GeoJSON file with the district (kind district) and its streets; default: the built-in Longhua set") var geojson: String?
        @Option(name: "office-code", help: "the district office's organisation code (with --geojson; default CODE-OFFICE)") var officeCode: String?
        @Option(name: "office-name", help: "the district office's name (with --geojson)") var officeName: String?
    }

    var help: String {
        "Sets up the district, its streets, the district office and the first administrator: --admin NAME --password-stdin [--geojson FILE]"
    }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        guard let admin = signature.admin else { throw CommandFailure(description: "--admin USERNAME is required") }
        var reference = DistrictSetup.longhua
        if let path = signature.geojson {
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
            guard let size else { throw CommandFailure(description: "cannot read \(path)") }
            guard size <= 200 * 1024 * 1024 else { throw CommandFailure(description: "\(path) is larger than 200 MB") }
            switch DistrictSetup.reference(geoJSON: try Data(contentsOf: URL(fileURLWithPath: path)), officeCode: signature.officeCode,
                                           officeName: signature.officeName) {
            case .success(let parsed): reference = parsed
            case .failure(let failure):
                for problem in failure.problems { context.console.error(problem.describe(.en)) }
                throw CommandFailure(description: "nothing set up: \(failure.problems.count) problem(s) in \(path)")
            }
        } else if signature.officeCode != nil || signature.officeName != nil {
            throw CommandFailure(description: "--office-code and --office-name go with --geojson (the built-in set names its office)")
        }
        let password = signature.passwordStdin ? app.standardInput() : nil
        let input = InitDistrict.Input(reference: reference, adminUsername: admin.lowercased(), adminName: signature.name ?? "区专项办管理员",
                                       password: password, by: ProcessInfo.processInfo.environment["USER"] ?? "operator")
        switch try await InitDistrict(app: app)(input) {
        case .failure(let reason):
            throw CommandFailure(description: "nothing set up: \(reason.en)")
        case .success(let outcome):
            let plan = outcome.plan
            let d = reference.district
            for place in plan.createAreas { context.console.print("created \(place.kind.rawValue) \(place.code) \(place.name)") }
            if !plan.keptAreas.isEmpty { context.console.print("already there, left as they are: \(plan.keptAreas.joined(separator: ", "))") }
            context.console.print(plan.createOffice.map { "created organisation \($0.code) \($0.name) (district office)" }
                                  ?? "organisation \(reference.office.code) already there")
            context.console.print(plan.createAdmin ? "created administrator \(input.adminUsername)" : "administrator \(input.adminUsername) already there (password unchanged)")
            if outcome.categoriesSeeded { context.console.print("loaded the shipped case categories and entrusted matters") }
            context.console.print(plan.isEmpty ? "\(d.code) \(d.name) was set up already; nothing changed." : "\(d.code) \(d.name) is set up.")
            context.console.print("next: `citysteward areas import FILE --parent STREET_CODE` for communities, villages and grids; `citysteward orgs create` for street offices, departments and stewards; then `citysteward serve`.")
        }
    }
}

/// `citysteward orgs`: the organisations of the plan, from the command line (scripts, and before the console is open).
struct OrgsCommand: AsyncCommandGroup {
    var help: String { "Manages organisations: create, list, assign." }
    var commands: [String: any AnyAsyncCommand] { ["create": Create(), "list": List(), "assign": Assign()] }

    struct Create: AsyncCommand {
        struct Signature: CommandSignature {
            @Option(name: "code", help: "organisation code, e.g. LH-ST-002") var code: String?
            @Option(name: "name", help: "name") var name: String?
            @Option(name: "name-en", help: "English name") var nameEn: String?
            @Option(name: "kind", help: "districtOffice, streetOffice, department, steward, shareholdingCompany, partyCommittee") var kind: String?
            @Option(name: "areas", help: "comma-separated area codes it is responsible for or serves") var areas: String?
        }
        var help: String { "Creates an organisation: --code CODE --name 名称 --kind KIND [--name-en NAME] [--areas CODE,…]" }

        func run(using context: CommandContext, signature: Signature) async throws {
            let app = context.application
            let draft = OrgDraft(code: signature.code ?? "", name: signature.name ?? "", nameEn: signature.nameEn, kind: signature.kind ?? "",
                                 areaCodes: OrgsCommand.codes(signature.areas))
            let org = try await OrgsCommand.perform(context) { try await SaveOrg(app: app)(draft, by: OrgsCommand.operator) }
            context.console.print("created organisation \(org.code) \(org.name) (\(org.kind.rawValue))")
        }
    }

    struct Assign: AsyncCommand {
        struct Signature: CommandSignature {
            @Argument(name: "code", help: "the organisation's code") var code: String
            @Option(name: "areas", help: "comma-separated area codes to add") var areas: String?
        }
        var help: String { "Makes an organisation responsible for more areas: CODE --areas CODE,…" }

        func run(using context: CommandContext, signature: Signature) async throws {
            let app = context.application
            let codes = OrgsCommand.codes(signature.areas)
            guard !codes.isEmpty else { throw CommandFailure(description: "--areas CODE[,CODE…] is required") }
            let org = try await OrgsCommand.perform(context) { try await AssignOrgAreas(app: app)(orgCode: signature.code, areaCodes: codes, by: OrgsCommand.operator) }
            context.console.print("\(org.code) now serves \(codes.joined(separator: ", "))")
        }
    }

    struct List: AsyncCommand {
        struct Signature: CommandSignature {}
        var help: String { "Lists organisations with the areas they serve." }
        func run(using context: CommandContext, signature: Signature) async throws {
            let directory = DirectoryStore(db: context.application.db), areas = AreaStore(db: context.application.db)
            let codes = Dictionary(uniqueKeysWithValues: try await areas.list(scope: .everything).map { ($0.id, $0.code) })
            for org in try await directory.orgs() {
                let served = try await directory.areaIDs(ofOrg: org.id).compactMap { codes[$0] }.sorted()
                context.console.print("\(org.code)\t\(org.kind.rawValue)\t\(org.name)\t\(served.isEmpty ? "-" : served.joined(separator: ","))")
            }
        }
    }

    static var `operator`: String { "command line (\(ProcessInfo.processInfo.environment["USER"] ?? "operator"))" }

    static func codes(_ text: String?) -> [String] {
        (text ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Runs a use case and turns its refusal into the command's error, every field problem on its own line.
    static func perform<T>(_ context: CommandContext, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as FieldProblems {
            for problem in error.problems { context.console.error("\(problem.field): \(problem.reason.en)") }
            throw CommandFailure(description: "nothing changed: \(error.problems.count) problem(s)")
        } catch let error as DomainError {
            throw CommandFailure(description: error.message(.en))
        }
    }
}
