/// MurmurHash3, x86 32-bit (Austin Appleby's public-domain hash): the hash `HashingTF`
/// maps words to features with, with Spark's seed 42, so that a word's feature index is
/// the one scikit-learn's `murmurhash3_32(word, seed=42)` gives.
enum MurmurHash3 {
    /// The hash of `bytes` under `seed`.
    static func hash32(_ bytes: some Collection<UInt8>, seed: UInt32) -> UInt32 {
        let (c1, c2): (UInt32, UInt32) = (0xcc9e_2d51, 0x1b87_3593)
        var hash = seed
        var block: UInt32 = 0
        var filled = 0
        for byte in bytes {
            block |= UInt32(byte) << (8 * UInt32(filled))
            filled += 1
            if filled == 4 {
                hash ^= mixed(block, c1, c2)
                hash = (hash << 13 | hash >> 19) &* 5 &+ 0xe654_6b64
                (block, filled) = (0, 0)
            }
        }
        if filled > 0 { hash ^= mixed(block, c1, c2) }
        hash ^= UInt32(truncatingIfNeeded: bytes.count)
        hash ^= hash >> 16
        hash &*= 0x85eb_ca6b
        hash ^= hash >> 13
        hash &*= 0xc2b2_ae35
        return hash ^ hash >> 16
    }

    private static func mixed(_ block: UInt32, _ c1: UInt32, _ c2: UInt32) -> UInt32 {
        let k = block &* c1
        return (k << 15 | k >> 17) &* c2
    }
}
