package yamlx

import (
	"testing"

	"go.yaml.in/yaml/v3"
)

const lineDoc = `version: 1
roles:
  viewer:
    permissions:
      - orders:read
      - catalog:read
  team.lead:
    inherits: [viewer]
  team:
    inherits: []
routes:
  - name: a
  - name: b
    prefix: /b
`

func TestLine(t *testing.T) {
	var root yaml.Node
	if err := yaml.Unmarshal([]byte(lineDoc), &root); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path string
		want int
	}{
		{path: "", want: 1},
		{path: "version", want: 1},
		{path: "roles", want: 2},
		{path: "roles.viewer", want: 3},
		{path: "roles.viewer.permissions", want: 4},
		{path: "roles.viewer.permissions[1]", want: 6},
		{path: "roles.team.lead.inherits", want: 8},
		{path: "roles.team.lead.inherits[0]", want: 8},
		{path: "roles.team.inherits", want: 10},
		{path: "routes[1].prefix", want: 14},
		{path: "routes[1]", want: 13},
		// Missing parts fall back to the deepest existing ancestor.
		{path: "roles.viewer.description", want: 3},
		{path: "roles.viewer.permissions[7]", want: 4},
		{path: "routes[x]", want: 11},
		{path: "nope", want: 1},
		{path: "version.deeper", want: 1},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			if got := Line(&root, tt.path); got != tt.want {
				t.Errorf("Line(%q) = %d, want %d", tt.path, got, tt.want)
			}
			// A document's content node works as a root too.
			if got := Line(root.Content[0], tt.path); got != tt.want {
				t.Errorf("Line(content, %q) = %d, want %d", tt.path, got, tt.want)
			}
		})
	}
	if got := Line(nil, "roles"); got != 0 {
		t.Errorf("Line(nil) = %d, want 0", got)
	}
}
