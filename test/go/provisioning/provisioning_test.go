// The alerting provisioning files, checked strictly against Grafana's own published model: the
// AlertingFileExport of grafana-openapi-client-go (Apache-2.0, generated from Grafana's OpenAPI spec),
// decoded with unknown fields disallowed, so a misspelt or misplaced key fails here instead of being
// ignored by Grafana at start. The templates file is not part of AlertingFileExport; its entries are
// checked against NotificationTemplate's fields plus orgId. `.ci/run` runs this where Go is present.
package provisioning

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-openapi/strfmt"
	"github.com/grafana/grafana-openapi-client-go/models"
	"gopkg.in/yaml.v3"
)

const alertingDir = "../../../dashboards/provisioning/alerting"

// strictDecode turns YAML into JSON and decodes it into out, refusing fields out does not have.
func strictDecode(t *testing.T, text []byte, out any) error {
	t.Helper()
	var doc any
	if err := yaml.Unmarshal(text, &doc); err != nil {
		t.Fatalf("not YAML: %v", err)
	}
	j, err := json.Marshal(doc)
	if err != nil {
		t.Fatalf("YAML without a JSON form: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.DisallowUnknownFields()
	return dec.Decode(out)
}

func alertingFiles(t *testing.T) []string {
	files, err := filepath.Glob(filepath.Join(alertingDir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no alerting provisioning files in %s (%v)", alertingDir, err)
	}
	return files
}

func TestAlertingFilesMatchGrafanasModel(t *testing.T) {
	rules, contactPoints := 0, 0
	for _, f := range alertingFiles(t) {
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(f, "-templates.yaml") {
			continue // TestTemplates
		}
		var export models.AlertingFileExport
		if err := strictDecode(t, text, &export); err != nil {
			t.Errorf("%s: %v", filepath.Base(f), err)
			continue
		}
		if err := export.Validate(strfmt.Default); err != nil {
			t.Errorf("%s: %v", filepath.Base(f), err)
		}
		if export.APIVersion != 1 {
			t.Errorf("%s: apiVersion %d, want 1", filepath.Base(f), export.APIVersion)
		}
		for _, g := range export.Groups {
			for _, r := range g.Rules {
				rules++
				refs := map[string]bool{}
				for _, q := range r.Data {
					refs[q.RefID] = true
				}
				if !refs[r.Condition] {
					t.Errorf("rule %s: condition %q is not a refId of its queries", r.UID, r.Condition)
				}
				if r.NotificationSettings == nil || r.NotificationSettings.Receiver == "" {
					t.Errorf("rule %s: no notification_settings.receiver", r.UID)
				}
			}
		}
		contactPoints += len(export.ContactPoints)
		if len(export.Policies) > 0 {
			t.Errorf("%s: a policies file replaces the organisation's whole policy tree; rules route themselves", filepath.Base(f))
		}
	}
	// Seven rules (surge, wall, rate-limit spike, overload, retry waste, wording drift, wall pause) and two
	// contact points (the webhook, and the walls webhook automation reads).
	if rules != 7 || contactPoints != 2 {
		t.Errorf("found %d rules and %d contact points, want 7 and 2", rules, contactPoints)
	}
}

// The check is not vacuous: an unknown or misplaced field is refused.
func TestUnknownFieldsAreRefused(t *testing.T) {
	for name, text := range map[string]string{
		"top level": "apiVersion: 1\ngroup: []\n",
		"rule":      "apiVersion: 1\ngroups:\n  - name: g\n    rules:\n      - uid: x\n        pending: 1m\n",
		"query":     "apiVersion: 1\ngroups:\n  - name: g\n    rules:\n      - uid: x\n        data:\n          - refId: A\n            datasource: x\n",
		"routing":   "apiVersion: 1\ngroups:\n  - name: g\n    rules:\n      - uid: x\n        notification_settings: { contact_point: x }\n",
		"receiver":  "apiVersion: 1\ncontactPoints:\n  - name: c\n    receivers:\n      - uid: r\n        kind: webhook\n",
	} {
		var export models.AlertingFileExport
		if err := strictDecode(t, []byte(text), &export); err == nil {
			t.Errorf("%s: an unknown field was accepted", name)
		}
	}
}

// Grafana's provisioning format for templates: orgId plus NotificationTemplate's name and template.
type templatesFile struct {
	APIVersion int64 `json:"apiVersion"`
	Templates  []struct {
		OrgID    int64  `json:"orgId"`
		Name     string `json:"name"`
		Template string `json:"template"`
	} `json:"templates"`
}

func TestTemplates(t *testing.T) {
	var found int
	for _, f := range alertingFiles(t) {
		if !strings.HasSuffix(f, "-templates.yaml") {
			continue
		}
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var tf templatesFile
		if err := strictDecode(t, text, &tf); err != nil {
			t.Errorf("%s: %v", filepath.Base(f), err)
		}
		for _, tpl := range tf.Templates {
			found++
			m := models.NotificationTemplate{Name: tpl.Name, Template: tpl.Template}
			if err := m.Validate(strfmt.Default); err != nil || m.Name == "" || m.Template == "" {
				t.Errorf("%s: template %q: %v", filepath.Base(f), tpl.Name, err)
			}
		}
	}
	if found == 0 {
		t.Error("no templates found")
	}
}
