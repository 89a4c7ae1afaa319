import Testing

@testable import FlockTensor

@Suite("Buffer cache")
struct BufferCacheTests {
    @Test("large buffers are reused by size; the least recently used sizes are evicted first")
    func reuseAndEviction() {
        let cache = BufferCache(capacity: 4 << 20)
        let a = cache.allocate(byteCount: 1 << 20)
        cache.release(a, byteCount: 1 << 20)
        #expect(cache.allocate(byteCount: 1 << 20) == a)  // same size: reused
        cache.release(a, byteCount: 1 << 20)

        // Fill the cache with other sizes: the least recently used size is evicted first.
        let b = (0..<3).map { _ in cache.allocate(byteCount: 1 << 20 | 64) }
        for pointer in b { cache.release(pointer, byteCount: 1 << 20 | 64) }
        // 1 MiB + 3 x (1 MiB + 64) exceeds 4 MiB: the least recently used size went.
        #expect(cache.cachedBuffers(ofSize: 1 << 20) == 0)
        #expect(cache.cachedBuffers(ofSize: 1 << 20 | 64) == 3)
        let c = cache.allocate(byteCount: 1 << 20 | 128)
        cache.release(c, byteCount: 1 << 20 | 128)
        #expect(cache.cachedBuffers(ofSize: 1 << 20 | 64) == 2)
        #expect(cache.cachedBuffers(ofSize: 1 << 20 | 128) == 1)
        #expect(cache.cachedByteCount <= 4 << 20)
        let small = cache.allocate(byteCount: 100)  // small buffers bypass the cache
        cache.release(small, byteCount: 100)
    }
}
