import CityStewardCore
import FluentKit
import Foundation
import SQLKit

/// Re-seals every personal value under the ring's current key and re-computes its blind index, a batch at a time,
/// each row only if nobody changed it meanwhile. Safe to run while the service runs and to run again.
public enum KeyRotation {
    public struct Outcome: Sendable, Equatable {
        public var residents = 0
        public var residentReports = 0
        public var deviceEvents = 0
        public var webhookSecrets = 0
        public var activitySignups = 0
    }

    /// A phone's blind index from its sealed text: the E.164 number's (an extension is not searched; a number
    /// sealed as national digits gets the E.164 index on the way), none for text kept because it could not be read.
    static func phoneIndex(_ cipher: FieldCipher) -> @Sendable (String) -> String? {
        { text in PhoneNumber.parse(text).map { cipher.blindIndex($0.e164) } }
    }

    public static func reseal(_ db: any Database, cipher: FieldCipher, batch: Int = 200) async throws -> Outcome {
        let sql = db as! any SQLDatabase
        let current = cipher.keyVersion
        var outcome = Outcome()
        // Residents carry their key version.
        while true {
            let rows = try await sql.select().column("*").from("residents").where("key_version", .notEqual, current).limit(batch)
                .all(decoding: ResidentRow.self)
            if rows.isEmpty { break }
            for r in rows {
                let name = try cipher.open(r.nameSealed), id = try cipher.open(r.idSealed)
                let phone = try r.phoneSealed.map { try cipher.open($0) }
                try await sql.update("residents")
                    .set("name_sealed", to: try cipher.seal(name)).set("id_sealed", to: try cipher.seal(id))
                    .set("id_index", to: cipher.blindIndex(id))
                    .set("phone_sealed", to: try phone.map(cipher.seal)).set("phone_index", to: phone.flatMap(Self.phoneIndex(cipher)))
                    .set("key_version", to: current)
                    .where("id", .equal, r.id).where("key_version", .equal, r.keyVersion).run()
                outcome.residents += 1
            }
        }
        // A resident's follow-up keeps its version in the sealed text's prefix.
        while true {
            let rows = try await sql.select().column("case_id").column("phone_sealed").from("resident_reports")
                .where("phone_sealed", .isNot, SQLLiteral.null)
                .where(SQLFunction("SUBSTR", args: SQLColumn("phone_sealed"), SQLLiteral.numeric("1"), SQLLiteral.numeric("\(current.count + 1)")),
                       .notEqual, SQLBind(current + ":"))
                .limit(batch).all()
            if rows.isEmpty { break }
            for row in rows {
                let caseID = try row.decode(column: "case_id", as: UUID.self), sealed = try row.decode(column: "phone_sealed", as: String.self)
                let phone = try cipher.open(sealed)
                try await sql.update("resident_reports").set("phone_sealed", to: try cipher.seal(phone)).set("phone_index", to: Self.phoneIndex(cipher)(phone))
                    .where("case_id", .equal, caseID).where("phone_sealed", .equal, sealed).run()
                outcome.residentReports += 1
            }
        }
        // Gate passes keep the person and plate sealed; a page at a time by seq.
        var after: Int64 = 0
        while true {
            let rows = try await sql.select().column("id").column("seq").column("person_sealed").column("plate_sealed").from("device_events")
                .where("seq", .greaterThan, after)
                .where { g in
                    g.orWhere { $0.where("person_sealed", .isNot, SQLLiteral.null).where(prefix("person_sealed", current.count), .notEqual, SQLBind(current + ":")) }
                        .orWhere { $0.where("plate_sealed", .isNot, SQLLiteral.null).where(prefix("plate_sealed", current.count), .notEqual, SQLBind(current + ":")) }
                }
                .orderBy("seq").limit(batch).all()
            guard let last = rows.last else { break }
            after = try last.decode(column: "seq", as: Int64.self)
            for row in rows {
                let id = try row.decode(column: "id", as: UUID.self)
                let person = try row.decodeNil(column: "person_sealed") ? nil : try row.decode(column: "person_sealed", as: String.self)
                let plate = try row.decodeNil(column: "plate_sealed") ? nil : try row.decode(column: "plate_sealed", as: String.self)
                func reseal(_ s: String?) throws -> String? {
                    guard let s else { return nil }
                    return FieldCipher.version(of: s) == current ? s : try cipher.seal(try cipher.open(s))
                }
                try await sql.update("device_events").set("person_sealed", to: try reseal(person)).set("plate_sealed", to: try reseal(plate))
                    .where("id", .equal, id).run()
                outcome.deviceEvents += 1
            }
        }
        // Activity sign-ups: name and phone sealed, the phone's index re-computed (the version is in the prefix).
        while true {
            let rows = try await sql.select().column("id").column("name_sealed").column("phone_sealed").from("activity_signups")
                .where(prefix("phone_sealed", current.count), .notEqual, SQLBind(current + ":")).limit(batch).all()
            if rows.isEmpty { break }
            for row in rows {
                let id = try row.decode(column: "id", as: UUID.self), sealed = try row.decode(column: "phone_sealed", as: String.self)
                let phone = try cipher.open(sealed), name = try cipher.open(try row.decode(column: "name_sealed", as: String.self))
                try await sql.update("activity_signups").set("phone_sealed", to: try cipher.seal(phone)).set("name_sealed", to: try cipher.seal(name))
                    .set("phone_index", to: Self.phoneIndex(cipher)(phone) ?? cipher.blindIndex(phone))
                    .where("id", .equal, id).where("phone_sealed", .equal, sealed).run()
                outcome.activitySignups += 1
            }
        }
        // Webhook signing secrets.
        let hooks = try await sql.select().column("consumer_id").column("secret_sealed").from("consumer_webhooks").all()
        for row in hooks {
            let sealed = try row.decode(column: "secret_sealed", as: String.self)
            guard FieldCipher.version(of: sealed) != current else { continue }
            try await sql.update("consumer_webhooks").set("secret_sealed", to: try cipher.seal(try cipher.open(sealed)))
                .where("consumer_id", .equal, try row.decode(column: "consumer_id", as: UUID.self)).where("secret_sealed", .equal, sealed).run()
            outcome.webhookSecrets += 1
        }
        return outcome
    }

    static func prefix(_ column: String, _ length: Int) -> any SQLExpression {
        SQLFunction("SUBSTR", args: SQLColumn(column), SQLLiteral.numeric("1"), SQLLiteral.numeric("\(length + 1)"))
    }
}
