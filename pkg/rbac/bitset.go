package rbac

// bitset is a fixed-size set of small non-negative integers.
type bitset []uint64

// newBitset returns a set able to hold 0..n-1, containing members.
func newBitset(n int, members []int) bitset {
	b := make(bitset, (n+63)/64)
	for _, i := range members {
		b[i/64] |= 1 << (i % 64)
	}
	return b
}

// has reports whether i is in b; out-of-range values are not.
func (b bitset) has(i int) bool {
	w := i / 64
	return i >= 0 && w < len(b) && b[w]&(1<<(i%64)) != 0
}

// or adds the members of o, which must not be larger than b, to b.
func (b bitset) or(o bitset) {
	for i, w := range o {
		b[i] |= w
	}
}
