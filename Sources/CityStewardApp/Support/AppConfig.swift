import CityStewardCore
import CityStewardStore
import Foundation
import Logging

/// Everything the app reads from its environment, parsed once (reference/style.md §7.3.8). `Environment.get`
/// appears nowhere else.
public struct AppConfig: Sendable {
    public var database: DatabaseLocation
    public var host: String
    public var port: Int
    public var logLevel: Logger.Level
    public var logFormat: LogFormat
    public var dataDirectory: String
    /// Cookies get `Secure` outside development (behind TLS).
    public var secureCookies: Bool
    /// Migrations at start: on by default for the embedded SQLite file, off for PostgreSQL (run `migrate`).
    public var autoMigrate: Bool
    public var sqliteSynchronous: SQLiteSynchronous
    /// Bearer tokens from `/api/v1/auth/token` live this long.
    public var accessTokenLifetime: TimeInterval
    public var sessionLifetime: TimeInterval
    public var loginThrottle: LoginThrottle
    /// Whether the demo logins are printed and loaded (`demo` only).
    public var isDemo: Bool
    /// Bcrypt work factor: 12 in service; tests use the minimum (4) to stay fast with the same algorithm.
    public var bcryptCost: Int = 12
    /// Seconds between overdue sweeps (0: no sweeper in this process).
    public var sweepInterval: TimeInterval = 60
    /// `CITYSTEWARD_MASTER_KEY`: base64 of 32 bytes; without it a key file is made in the data folder (mode 0600).
    public var masterKey: String?
    /// `CITYSTEWARD_OPEN311_ANONYMOUS`: Open311 POSTs without an api_key are taken (as resident reports).
    /// Unset: on for `demo`, off for `serve`.
    public var open311Anonymous: Bool?
    /// `CITYSTEWARD_PUBLIC_URL`: the address printed in QR codes and links (default: the request's own host).
    public var publicURL: String?
    /// `CITYSTEWARD_GATE_RETENTION_DAYS`: raw gate passes older than this become hourly counts (0: kept).
    public var gateRetentionDays: Int = 180
    /// `CITYSTEWARD_AI_CASE_CONFIDENCE`: an AI camera event at or above this confidence becomes a case.
    public var aiCaseConfidence: Double = 0.8
    /// `CITYSTEWARD_FEED_PUSH_INTERVAL`: seconds between webhook pushes to data consumers (0: no pusher here).
    public var feedPushInterval: TimeInterval = 5
    /// `CITYSTEWARD_HOTLINE_URL`: where the 12345 hotline takes the steps of its tickets back (none: they queue).
    public var hotlineURL: String?
    /// `CITYSTEWARD_HOTLINE_SECRET`: the key the pushes are signed with (32–256 ASCII characters, agreed with the hotline).
    public var hotlineSecret: String?
    /// `CITYSTEWARD_HOTLINE_PUSH_INTERVAL`: seconds between rounds of hotline pushes (0: no pusher here).
    public var hotlinePushInterval: TimeInterval = 5
    /// `CITYSTEWARD_INTRODUCTION_SUBSIDY`: the introduction subsidy per service year, in yuan, comma-separated and not
    /// decreasing (default 200000,250000,300000,350000,400000).
    public var introductionSubsidy: IntroductionSubsidySchedule = .standard
    /// `CITYSTEWARD_STATEMENT_TIMEOUT_MS`: on PostgreSQL, the longest one statement of a request may run before the
    /// database cancels it (default 5000; 0: none), so no request holds the database for seconds. Commands
    /// (`migrate`, `synthesize`, …) run without it: building an index on a million rows takes longer.
    public var statementTimeoutMilliseconds: Int = 5_000
    /// How long a request waits for a PostgreSQL connection of the pool (a busy server answers 500 after it, not never).
    public var databasePoolTimeoutSeconds: Int64 = 10
    /// `CITYSTEWARD_PUBLIC_RATE_PER_MINUTE`: anonymous reads of the public lists and pages per client address and
    /// minute (bursts of half as many more; 0: no limit).
    public var publicRatePerMinute: Int = 120
    /// `CITYSTEWARD_SMS_URL` (and `CITYSTEWARD_SMS_TOKEN`): the SMS gateway the portal sends its one-time codes
    /// through (`HTTPSMSGateway`). Unset: `demo` writes the codes to its log; `serve` offers no search by phone.
    public var smsURL: String?
    public var smsToken: String?
    /// Where "now" comes from: the system's time in service; tests set their own.
    public var clock: WallClock = .system
    /// Anonymous Open311 posting as it applies to this process.
    public var acceptsAnonymousOpen311: Bool { open311Anonymous ?? isDemo }
    public var masterKeyFile: String { (dataDirectory as NSString).appendingPathComponent("master.key") }
    /// Where case photos are stored (content-hash names).
    public var photoDirectory: String { (dataDirectory as NSString).appendingPathComponent("photos") }

    public enum LogFormat: String, Sendable { case text, json }

    public static let defaultDataDirectory = "./data"

    public init(database: DatabaseLocation, host: String = "127.0.0.1", port: Int = 8080, logLevel: Logger.Level = .info,
                logFormat: LogFormat = .text, dataDirectory: String = defaultDataDirectory, secureCookies: Bool = false,
                autoMigrate: Bool = true, sqliteSynchronous: SQLiteSynchronous = .normal,
                accessTokenLifetime: TimeInterval = 12 * 3600, sessionLifetime: TimeInterval = 8 * 3600,
                loginThrottle: LoginThrottle = .standard, isDemo: Bool = false) {
        self.database = database
        self.host = host
        self.port = port
        self.logLevel = logLevel
        self.logFormat = logFormat
        self.dataDirectory = dataDirectory
        self.secureCookies = secureCookies
        self.autoMigrate = autoMigrate
        self.sqliteSynchronous = sqliteSynchronous
        self.accessTokenLifetime = accessTokenLifetime
        self.sessionLifetime = sessionLifetime
        self.loginThrottle = loginThrottle
        self.isDemo = isDemo
    }

    public struct Invalid: Error, CustomStringConvertible {
        public var problems: [String]
        public var description: String {
            "City Steward configuration is invalid:\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
        }
    }

    /// Reads the environment; collects every problem and throws once with the full list.
    /// `dataOverride` is the `--data DIR` option, which wins over `CITYSTEWARD_DATA_DIR`.
    public static func load(environment env: [String: String], dataOverride: String? = nil, production: Bool) throws -> AppConfig {
        var problems: [String] = []
        let dataDirectory = dataOverride ?? env["CITYSTEWARD_DATA_DIR"].nonEmpty ?? defaultDataDirectory
        let database: DatabaseLocation
        if let url = env["DATABASE_URL"].nonEmpty {
            if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
                database = .postgres(url: url)
            } else {
                problems.append("DATABASE_URL must be a postgres:// URL (got \(DatabaseSetup.redact(url))); leave it unset for SQLite")
                database = .sqliteMemory
            }
        } else {
            database = .sqliteFile(path: (dataDirectory as NSString).appendingPathComponent("citysteward.sqlite"))
        }
        let host = env["HOST"].nonEmpty ?? "127.0.0.1"
        var port = 8080
        if let text = env["PORT"].nonEmpty {
            if let value = Int(text), (1...65535).contains(value) { port = value } else { problems.append("PORT must be 1–65535 (got \(text))") }
        }
        var logLevel: Logger.Level = production ? .notice : .info
        if let text = env["LOG_LEVEL"].nonEmpty {
            if let level = Logger.Level(rawValue: text.lowercased()) { logLevel = level } else {
                problems.append("LOG_LEVEL must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")) (got \(text))")
            }
        }
        var logFormat = LogFormat.text
        if let text = env["LOG_FORMAT"].nonEmpty {
            if let format = LogFormat(rawValue: text.lowercased()) { logFormat = format } else { problems.append("LOG_FORMAT must be text or json (got \(text))") }
        }
        var secureCookies = production
        if let text = env["CITYSTEWARD_SECURE_COOKIES"].nonEmpty {
            if let flag = Bool(flag: text) { secureCookies = flag } else { problems.append("CITYSTEWARD_SECURE_COOKIES must be true or false (got \(text))") }
        }
        var autoMigrate = database.isSQLite
        if let text = env["CITYSTEWARD_AUTO_MIGRATE"].nonEmpty {
            if let flag = Bool(flag: text) { autoMigrate = flag } else { problems.append("CITYSTEWARD_AUTO_MIGRATE must be true or false (got \(text))") }
        }
        var synchronous = SQLiteSynchronous.normal
        if let text = env["CITYSTEWARD_SQLITE_SYNCHRONOUS"].nonEmpty {
            if let value = SQLiteSynchronous(rawValue: text.uppercased()) { synchronous = value } else {
                problems.append("CITYSTEWARD_SQLITE_SYNCHRONOUS must be NORMAL or FULL (got \(text))")
            }
        }
        var tokenHours = 12.0
        if let text = env["CITYSTEWARD_TOKEN_HOURS"].nonEmpty {
            if let value = Double(text), value > 0, value <= 24 * 30 { tokenHours = value } else {
                problems.append("CITYSTEWARD_TOKEN_HOURS must be a number of hours between 0 and 720 (got \(text))")
            }
        }
        var sweep = 60.0
        if let text = env["CITYSTEWARD_SWEEP_SECONDS"].nonEmpty {
            if let value = Double(text), value >= 0, value <= 3600 { sweep = value } else {
                problems.append("CITYSTEWARD_SWEEP_SECONDS must be 0 (off) to 3600 (got \(text))")
            }
        }
        let masterKey = env["CITYSTEWARD_MASTER_KEY"].nonEmpty
        if let masterKey, FieldCipher.parseRing(masterKey.replacingOccurrences(of: ",", with: "\n")) == nil {
            problems.append("CITYSTEWARD_MASTER_KEY must be 32 bytes in base64 (e.g. from `openssl rand -base64 32`), or a ring `v1 KEY,v2 KEY`")
        }
        var anonymous: Bool?
        if let text = env["CITYSTEWARD_OPEN311_ANONYMOUS"].nonEmpty {
            if let flag = Bool(flag: text) { anonymous = flag } else { problems.append("CITYSTEWARD_OPEN311_ANONYMOUS must be true or false (got \(text))") }
        }
        var publicURL: String?
        if let text = env["CITYSTEWARD_PUBLIC_URL"].nonEmpty {
            if let url = URL(string: text), ["http", "https"].contains(url.scheme ?? ""), url.host != nil {
                publicURL = text.hasSuffix("/") ? String(text.dropLast()) : text
            } else {
                problems.append("CITYSTEWARD_PUBLIC_URL must be an http(s) address such as https://steward.example.cn (got \(text))")
            }
        }
        var aiConfidence = 0.8
        if let text = env["CITYSTEWARD_AI_CASE_CONFIDENCE"].nonEmpty {
            if let v = Double(text), (0...1).contains(v) { aiConfidence = v } else {
                problems.append("CITYSTEWARD_AI_CASE_CONFIDENCE must be a number from 0 to 1 (got \(text))")
            }
        }
        var statementTimeout = 5_000
        if let text = env["CITYSTEWARD_STATEMENT_TIMEOUT_MS"].nonEmpty {
            if let v = Int(text), v >= 0, v <= 3_600_000 { statementTimeout = v } else {
                problems.append("CITYSTEWARD_STATEMENT_TIMEOUT_MS must be 0 (none) to 3600000 milliseconds (got \(text))")
            }
        }
        var publicRate = 120
        if let text = env["CITYSTEWARD_PUBLIC_RATE_PER_MINUTE"].nonEmpty {
            if let v = Int(text), v >= 0, v <= 1_000_000 { publicRate = v } else {
                problems.append("CITYSTEWARD_PUBLIC_RATE_PER_MINUTE must be 0 (no limit) to 1000000 (got \(text))")
            }
        }
        var retentionDays = 180
        if let text = env["CITYSTEWARD_GATE_RETENTION_DAYS"].nonEmpty {
            if let v = Int(text), v >= 0, v <= 3650 { retentionDays = v } else {
                problems.append("CITYSTEWARD_GATE_RETENTION_DAYS must be 0 (keep) to 3650 (got \(text))")
            }
        }
        var pushInterval: TimeInterval = 5
        if let text = env["CITYSTEWARD_FEED_PUSH_INTERVAL"].nonEmpty {
            if let v = Double(text), v >= 0, v <= 3600 { pushInterval = v } else {
                problems.append("CITYSTEWARD_FEED_PUSH_INTERVAL must be 0 (off) to 3600 seconds (got \(text))")
            }
        }
        var subsidy = IntroductionSubsidySchedule.standard
        if let text = env["CITYSTEWARD_INTRODUCTION_SUBSIDY"].nonEmpty {
            let yuan = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            let candidate = IntroductionSubsidySchedule(amountsFen: yuan.map { ($0 ?? -1) * 100 })
            if yuan.contains(nil) || !candidate.problems().isEmpty {
                problems.append("CITYSTEWARD_INTRODUCTION_SUBSIDY must be whole yuan per service year, comma-separated, above 0 and not decreasing (got \(text))")
            } else { subsidy = candidate }
        }
        var hotlineURL: String?
        if let text = env["CITYSTEWARD_HOTLINE_URL"].nonEmpty {
            if let problem = FeedPush.validate(url: text) { problems.append("CITYSTEWARD_HOTLINE_URL: \(problem.en) (got \(text))") } else { hotlineURL = text }
        }
        let hotlineSecret = env["CITYSTEWARD_HOTLINE_SECRET"].nonEmpty
        if let secret = hotlineSecret, let problem = FeedPush.validate(secret: secret) { problems.append("CITYSTEWARD_HOTLINE_SECRET: \(problem.en)") }
        if hotlineURL != nil, hotlineSecret == nil { problems.append("CITYSTEWARD_HOTLINE_URL needs CITYSTEWARD_HOTLINE_SECRET: every push is signed") }
        var hotlineInterval: TimeInterval = 5
        if let text = env["CITYSTEWARD_HOTLINE_PUSH_INTERVAL"].nonEmpty {
            if let v = Double(text), v >= 0, v <= 3600 { hotlineInterval = v } else {
                problems.append("CITYSTEWARD_HOTLINE_PUSH_INTERVAL must be 0 (off) to 3600 seconds (got \(text))")
            }
        }
        var smsURL: String?
        if let text = env["CITYSTEWARD_SMS_URL"].nonEmpty {
            if let url = URL(string: text), ["http", "https"].contains(url.scheme ?? ""), url.host != nil { smsURL = text } else {
                problems.append("CITYSTEWARD_SMS_URL must be an http(s) address of the SMS gateway (got \(text))")
            }
        }
        guard problems.isEmpty else { throw Invalid(problems: problems) }
        return AppConfig(database: database, host: host, port: port, logLevel: logLevel, logFormat: logFormat,
                         dataDirectory: dataDirectory, secureCookies: secureCookies, autoMigrate: autoMigrate,
                         sqliteSynchronous: synchronous, accessTokenLifetime: tokenHours * 3600)
            .with {
                $0.sweepInterval = sweep
                $0.masterKey = masterKey
                $0.open311Anonymous = anonymous
                $0.publicURL = publicURL
                $0.aiCaseConfidence = aiConfidence
                $0.gateRetentionDays = retentionDays
                $0.feedPushInterval = pushInterval
                $0.statementTimeoutMilliseconds = statementTimeout
                $0.publicRatePerMinute = publicRate
                $0.introductionSubsidy = subsidy
                $0.smsURL = smsURL
                $0.hotlineURL = hotlineURL
                $0.hotlineSecret = hotlineSecret
                $0.hotlinePushInterval = hotlineInterval
                $0.smsToken = env["CITYSTEWARD_SMS_TOKEN"].nonEmpty
            }
    }

    func with(_ change: (inout AppConfig) -> Void) -> AppConfig {
        var copy = self
        change(&copy)
        return copy
    }

    /// A configuration for tests: in-memory SQLite, or PostgreSQL in a schema of its own.
    public static func testing(database: DatabaseLocation = .sqliteMemory) -> AppConfig {
        let folder = (NSTemporaryDirectory() as NSString).appendingPathComponent("citysteward-test-\(UUID().uuidString.prefix(8))")
        var config = AppConfig(database: database, logLevel: .warning, dataDirectory: folder, autoMigrate: true)
        config.bcryptCost = 4
        config.sweepInterval = 0
        config.feedPushInterval = 0
        config.hotlinePushInterval = 0
        // The suites run in parallel on PostgreSQL, each test on a schema of its own: on 2 busy cores a connection
        // can take longer than 10 s to come; waiting is no failure of the code under test.
        config.databasePoolTimeoutSeconds = 60
        // The test clock stands still, so a bucket would never refill; the limit has a test of its own.
        config.publicRatePerMinute = 0
        return config
    }
}

extension Optional where Wrapped == String {
    var nonEmpty: String? {
        guard let value = self?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        return value
    }
}

extension Bool {
    init?(flag: String) {
        switch flag.lowercased() {
        case "1", "true", "yes", "on": self = true
        case "0", "false", "no", "off": self = false
        default: return nil
        }
    }
}
