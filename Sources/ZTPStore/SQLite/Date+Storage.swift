import Foundation

extension Date {
    // Seconds since the 2001 reference date are exactly the Double that `Date` holds, so a date
    // read back compares equal to the one written. Seconds since 1970 would round in the last bit.
    // To read a column by hand: `datetime(issued_at + 978307200, 'unixepoch')`.
    var storageValue: Double { timeIntervalSinceReferenceDate }

    init(storageValue: Double) {
        self.init(timeIntervalSinceReferenceDate: storageValue)
    }
}
