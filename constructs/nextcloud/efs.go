package nextcloud

import (
	"cmp"
	_ "embed"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsbackup"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/boot"
	"github.com/tierkit/tierkit/constructs/filesystem"
	"github.com/tierkit/tierkit/constructs/webtier"
)

// DataStep is the name of the boot step that mounts the data directory's
// file system with "efs" PrimaryStorage, before nextcloud-config.
const DataStep = "efs-data"

// dataDirectory returns the data directory the file system is mounted at.
func (a *App) dataDirectory() string {
	return cmp.Or(a.DataDirectory, cmp.Or(a.InstallPath, defaultInstallPath)+"/data")
}

//go:embed data.sh.tmpl
var dataText string

var dataTemplate = boot.StepTemplate(DataStep, dataText)

// attachFileSystem creates the data directory's file system (encrypted with
// the tier's key when it has one), lets the fleet reach and mount it, adds it
// to the tier's backup plan, and returns the step that mounts it.
func (a *App) attachFileSystem(t webtier.Parts) webtier.Step {
	// "FileSystem" is part of the file system's logical ID: renaming it
	// replaces the file system (the old one is retained, with the files).
	a.files = filesystem.New(t, "FileSystem", &filesystem.Props{Vpc: t.Network().Vpc(), EncryptionKey: t.Key()})
	a.files.AllowFrom(t.Fleet())
	a.files.GrantMount(t.Fleet().Role())
	if b := t.Backup(); b != nil {
		b.Plan().AddSelection(jsii.String("FileSystem"), &awsbackup.BackupSelectionOptions{
			Resources: &[]awsbackup.BackupResource{a.files.BackupResource()},
			Role:      b.Role(),
		})
	}
	user := t.Props().WebUser
	return webtier.Step{Name: DataStep, Body: a.files.MountStep(filesystem.Mount{Dir: a.dataDirectory(), Owner: user}) + "\n" +
		boot.RenderStep(dataTemplate, struct{ Dir, User string }{a.dataDirectory(), user})}
}
