package synth

import (
	"encoding/binary"
	"encoding/hex"
	"math"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strconv"

	"github.com/vigil-fraud/vigil/internal/fraud"
)

// customer is one customer's profile: the handbook's (position, spending) and the fields
// a real payment carries (card token, devices, home country).
type customer struct {
	x, y    float64
	mean    float64 // mean amount, U(5, 100)
	std     float64 // mean / 2
	rate    float64 // mean number of transactions per day, U(0, 4)
	id      string
	card    string
	devices []device // one or two; used for e-commerce and wallet payments
	country string
}

// device is one of a customer's phones or computers, with the address it connects from.
type device struct {
	id string
	ip string
}

// terminal is one terminal's profile: the handbook's position, and what the merchant is.
type terminal struct {
	x, y    float64
	id      string
	channel string
	mcc     string
	country string
}

// newCustomers draws the customers' profiles like the handbook's
// generate_customer_profiles_table (x, y, mean amount, then mean transactions per day),
// and their extra attributes from a stream of their own.
func newCustomers(n int, seed uint64) []customer {
	r := newStream(seed, tagCustomers)
	attrs := newStream(seed, tagCustomerAttrs)
	cs := make([]customer, n)
	for i := range cs {
		c := &cs[i]
		c.x = uniform(r, 0, gridSize)
		c.y = uniform(r, 0, gridSize)
		c.mean = uniform(r, 5, 100)
		c.std = c.mean / 2
		c.rate = uniform(r, 0, 4)
		c.id = strconv.Itoa(i)
		c.country = countryAt(c.x, c.y)
		c.card = token(attrs, "tok_")
		nd := 1
		if attrs.Float64() < 0.3 {
			nd = 2
		}
		c.devices = make([]device, nd)
		for j := range c.devices {
			c.devices[j] = device{id: token(attrs, "dev_"), ip: randomIP(attrs)}
		}
	}
	return cs
}

// newTerminals draws the terminals' positions like the handbook's
// generate_terminal_profiles_table, and what each merchant is from a stream of its own.
func newTerminals(n int, seed uint64) []terminal {
	r := newStream(seed, tagTerminals)
	attrs := newStream(seed, tagTerminalAttrs)
	ts := make([]terminal, n)
	for i := range ts {
		t := &ts[i]
		t.x = uniform(r, 0, gridSize)
		t.y = uniform(r, 0, gridSize)
		t.id = strconv.Itoa(i)
		t.country = countryAt(t.x, t.y)
		t.channel = pick(attrs, terminalChannels)
		t.mcc = pick(attrs, mccByChannel[t.channel])
	}
	return ts
}

// token returns prefix + 16 hex digits that never contain anything fraud.Validate would
// take for a card number (a Luhn-valid run of 13 or more digits).
func token(r *rand.Rand, prefix string) string {
	var b [8]byte
	for {
		binary.BigEndian.PutUint64(b[:], r.Uint64())
		s := prefix + hex.EncodeToString(b[:])
		if !fraud.ContainsCardNumber(s) {
			return s
		}
	}
}

// Documentation address ranges (RFC 5737, RFC 3849): never routable, never anyone's.
var ipv4Docs = [...][3]byte{{192, 0, 2}, {198, 51, 100}, {203, 0, 113}}

// randomIP draws an address from the documentation ranges, IPv6 about a third of the time.
func randomIP(r *rand.Rand) string {
	if r.Float64() < 0.35 {
		var a [16]byte
		a[0], a[1], a[2], a[3] = 0x20, 0x01, 0x0d, 0xb8
		binary.BigEndian.PutUint64(a[4:12], r.Uint64())
		binary.BigEndian.PutUint32(a[12:], r.Uint32())
		return netip.AddrFrom16(a).String()
	}
	p := ipv4Docs[r.IntN(len(ipv4Docs))]
	return netip.AddrFrom4([4]byte{p[0], p[1], p[2], byte(1 + r.Uint32()%254)}).String()
}

// countries divide the grid in nine regions, three by three, north-west first. Customers
// near a border shop on both sides of it, as they do in reality.
var countries = [3][3]string{
	{"IE", "NL", "DE"},
	{"FR", "BE", "AT"},
	{"PT", "ES", "IT"},
}

func countryAt(x, y float64) string {
	col := min(int(x/(gridSize/3)), 2)
	row := min(int((gridSize-y)/(gridSize/3)), 2)
	return countries[max(row, 0)][max(col, 0)]
}

// weighted is one choice of a weighted list.
type weighted struct {
	value  string
	weight int
}

func pick(r *rand.Rand, ws []weighted) string {
	total := 0
	for _, w := range ws {
		total += w.weight
	}
	x := r.IntN(total)
	for _, w := range ws {
		if x < w.weight {
			return w.value
		}
		x -= w.weight
	}
	return ws[len(ws)-1].value
}

// terminalChannels is the mix of terminals: mostly card-present.
var terminalChannels = []weighted{
	{fraud.ChannelPOS, 72}, {fraud.ChannelEcommerce, 20}, {fraud.ChannelWallet, 5}, {fraud.ChannelMOTO, 3},
}

// Merchant category codes (ISO 18245) by channel, weighted roughly like card spending.
var (
	mccPresent = []weighted{
		{"5411", 20}, // grocery stores, supermarkets
		{"5812", 12}, // restaurants
		{"5814", 10}, // fast food
		{"5541", 8},  // service stations
		{"5912", 6},  // drug stores, pharmacies
		{"5311", 5},  // department stores
		{"5651", 6},  // family clothing
		{"5732", 3},  // electronics
		{"5942", 3},  // book stores
		{"4111", 5},  // commuter transport
		{"4121", 3},  // taxis
		{"7011", 3},  // hotels
		{"5999", 6},  // miscellaneous retail
		{"5499", 5},  // miscellaneous food stores
		{"7832", 2},  // cinemas
		{"5200", 3},  // home supply
	}
	mccByChannel = map[string][]weighted{
		fraud.ChannelPOS:    mccPresent,
		fraud.ChannelWallet: mccPresent,
		fraud.ChannelEcommerce: {
			{"5399", 6}, // general merchandise
			{"5999", 8}, // miscellaneous retail
			{"5732", 6}, // electronics
			{"5942", 5}, // book stores
			{"5691", 6}, // clothing
			{"4722", 4}, // travel agencies
			{"4814", 4}, // telecommunication services
			{"4899", 4}, // streaming, cable
			{"5815", 5}, // digital media
			{"5816", 4}, // digital games
			{"5967", 1}, // direct marketing, inbound
			{"7995", 1}, // gambling
		},
		fraud.ChannelMOTO: {
			{"5964", 4}, // catalogue merchants
			{"5969", 3}, // other direct marketing
			{"4722", 3}, // travel agencies
			{"7011", 3}, // hotels
		},
	}
)

// nearby lists, for each customer, the terminals strictly closer than the radius, in
// increasing id order like the handbook's get_list_terminals_within_radius. It is stored
// flat: customer c's terminals are terms[start[c]:start[c+1]].
type nearby struct {
	start []int
	terms []int
}

func (n *nearby) of(c int) []int { return n.terms[n.start[c]:n.start[c+1]] }

// newNearby finds every customer's terminals with a grid index: terminals are bucketed in
// square cells about the radius wide, and each customer looks only at the cells its
// circle touches, so the cost is proportional to the answer, not customers x terminals.
func newNearby(cs []customer, ts []terminal, radius float64) *nearby {
	cells := int(math.Ceil(gridSize / radius))
	cells = max(1, min(cells, 512))
	side := gridSize / float64(cells)
	cellOf := func(v float64) int { return max(0, min(int(v/side), cells-1)) }

	// Bucket terminals by cell (counting sort keeps ids ascending within a cell).
	cellStart := make([]int, cells*cells+1)
	for i := range ts {
		cellStart[cellOf(ts[i].y)*cells+cellOf(ts[i].x)+1]++
	}
	for i := 1; i < len(cellStart); i++ {
		cellStart[i] += cellStart[i-1]
	}
	fill := slices.Clone(cellStart[:len(cellStart)-1])
	byCell := make([]int, len(ts))
	for i := range ts {
		k := cellOf(ts[i].y)*cells + cellOf(ts[i].x)
		byCell[fill[k]] = i
		fill[k]++
	}

	n := &nearby{start: make([]int, len(cs)+1)}
	r2 := radius * radius
	for c := range cs {
		x, y := cs[c].x, cs[c].y
		from := len(n.terms)
		for cy := cellOf(y - radius); cy <= cellOf(y+radius); cy++ {
			for cx := cellOf(x - radius); cx <= cellOf(x+radius); cx++ {
				k := cy*cells + cx
				for _, t := range byCell[cellStart[k]:cellStart[k+1]] {
					dx, dy := ts[t].x-x, ts[t].y-y
					if dx*dx+dy*dy < r2 {
						n.terms = append(n.terms, t)
					}
				}
			}
		}
		slices.Sort(n.terms[from:])
		n.start[c+1] = len(n.terms)
	}
	return n
}
