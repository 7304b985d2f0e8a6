module example.com/vulnerable

go 1.26

require (
	example.com/copyleft v0.0.0
	golang.org/x/text v0.3.5
)

replace example.com/copyleft => ./copyleft
