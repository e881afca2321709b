// The benchmark's floor: the templates the Go app synthesized (the cloud
// assembly named by FLOOR_ASSEMBLY, scripts/synth's cdk.out), each included
// with CfnInclude into a stack of the same name and region and synthesized
// again by plain JavaScript aws-cdk-lib of the same version. Run by `cdk synth`
// with cdk.json's feature flags, so aws-cdk-lib's CloudFormation validation
// ("@aws-cdk/core:validateAgainstDefaultRules") is on as in the Go app.
// scripts/bench installs it into .build/floor and times it.
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const cdk = require("aws-cdk-lib");
const { CfnInclude } = require("aws-cdk-lib/cloudformation-include");

const assembly = process.env.FLOOR_ASSEMBLY;
if (!assembly) throw new Error("FLOOR_ASSEMBLY: the cloud assembly to include is not set");
const manifest = JSON.parse(fs.readFileSync(path.join(assembly, "manifest.json"), "utf8"));

// The elements every stack's synthesis adds itself (the CDK metadata, the
// bootstrap version check) leave the included template, or they would clash
// with the floor's own; written to a temporary file, as CfnInclude reads files.
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "floor-"));
function withoutSynthesizerElements(file) {
  const template = JSON.parse(fs.readFileSync(file, "utf8"));
  const drop = { Resources: "CDKMetadata", Conditions: "CDKMetadataAvailable", Parameters: "BootstrapVersion", Rules: "CheckBootstrapVersion" };
  for (const [section, id] of Object.entries(drop)) {
    if (!template[section]) continue;
    delete template[section][id];
    if (Object.keys(template[section]).length === 0) delete template[section];
  }
  const out = path.join(scratch, path.basename(file));
  fs.writeFileSync(out, JSON.stringify(template));
  return out;
}

const app = new cdk.App();
for (const [id, artifact] of Object.entries(manifest.artifacts)) {
  if (artifact.type !== "aws:cloudformation:stack") continue;
  // aws://ACCOUNT/REGION; unknown-account stays unresolved, as in the Go app.
  const [, account, region] = artifact.environment.match(/^aws:\/\/([^/]+)\/(.+)$/);
  const stack = new cdk.Stack(app, id, {
    env: { account: account === "unknown-account" ? undefined : account, region },
  });
  new CfnInclude(stack, "Template", {
    templateFile: withoutSynthesizerElements(path.join(assembly, artifact.properties.templateFile)),
  });
}
app.synth();
