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
                    .set("phone_sealed", to: try phone.map(cipher.seal)).set("phone_index", to: phone.map(cipher.blindIndex))
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
                try await sql.update("resident_reports").set("phone_sealed", to: try cipher.seal(phone)).set("phone_index", to: cipher.blindIndex(phone))
                    .where("case_id", .equal, caseID).where("phone_sealed", .equal, sealed).run()
                outcome.residentReports += 1
            }
        }
        return outcome
    }
}
