/// CRC-32 (IEEE 802.3, the zlib/PNG polynomial 0xEDB88320), used to detect corrupted
/// checkpoint data.
struct CRC32 {
    private static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 != 0 ? (value >> 1) ^ 0xEDB8_8320 : value >> 1 }
        return value
    }

    private(set) var value: UInt32 = 0xFFFF_FFFF

    /// Feeds bytes.
    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        var crc = value
        for byte in bytes { crc = CRC32.table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        value = crc
    }

    /// The checksum of everything fed so far.
    var checksum: UInt32 { value ^ 0xFFFF_FFFF }
}
