package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsrds"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/jsii-runtime-go"

	"github.com/tierkit/tierkit/constructs/database"
	"github.com/tierkit/tierkit/constructs/network"
	"github.com/tierkit/tierkit/constructs/storage"
	"github.com/tierkit/tierkit/constructs/webtier"
	"github.com/tierkit/tierkit/internal/config"
)

// bringExisting maps what the environment and the tier bring from the
// team's account (vpc, existingDatabase, databaseSnapshot, uploadsBucket)
// onto p, over what tierProps set. Everything is imported by its attributes
// into stack: no lookup, and no resource of its own.
func bringExisting(stack awscdk.Stack, env config.Environment, b config.Brought, p *webtier.Props) {
	if v := env.VPC; v != nil {
		p.Network = network.Props{Vpc: awsec2.Vpc_FromVpcAttributes(stack, jsii.String("TeamVpc"), &awsec2.VpcAttributes{
			VpcId: jsii.String(v.ID), VpcCidrBlock: jsii.String(v.CIDR), AvailabilityZones: jsii.Strings(v.AvailabilityZones...),
			PublicSubnetIds: jsii.Strings(v.PublicSubnetIDs...), PrivateSubnetIds: jsii.Strings(v.PrivateSubnetIDs...),
			IsolatedSubnetIds: jsii.Strings(v.IsolatedSubnetIDs...),
			// The applications' trusted proxies (Edge().SubnetCIDRs()).
			PublicSubnetIpv4CidrBlocks: jsii.Strings(v.PublicSubnetCIDRs...), PrivateSubnetIpv4CidrBlocks: jsii.Strings(v.PrivateSubnetCIDRs...),
		})}
		// The tier adds no route or endpoint to the team's VPC, so it never
		// reads the subnets' route tables, which the configuration leaves out.
		awscdk.Annotations_Of(p.Network.Vpc).AcknowledgeWarning(jsii.String("@aws-cdk/aws-ec2:noSubnetRouteTableId"),
			jsii.String("the tier adds no route or endpoint to the team's VPC"))
	}
	if d := b.ExistingDatabase; d != nil {
		// Mutable: the fleet is let in by an ingress rule on the group.
		sg := awsec2.SecurityGroup_FromSecurityGroupId(stack, jsii.String("TeamDatabaseSecurityGroup"), jsii.String(d.SecurityGroupID), nil)
		instance := awsrds.DatabaseInstance_FromDatabaseInstanceAttributes(stack, jsii.String("TeamDatabase"), &awsrds.DatabaseInstanceAttributes{
			InstanceIdentifier: jsii.String(d.InstanceIdentifier), InstanceEndpointAddress: jsii.String(d.Endpoint),
			Port: jsii.Number(d.Port), SecurityGroups: &[]awsec2.ISecurityGroup{sg},
		})
		attrs := &awssecretsmanager.SecretAttributes{SecretCompleteArn: jsii.String(d.SecretARN)}
		if d.SecretKMSKeyARN != "" {
			// The role then decrypts the secret with it, through Secrets Manager.
			attrs.EncryptionKey = awskms.Key_FromKeyArn(stack, jsii.String("TeamDatabaseSecretKey"), jsii.String(d.SecretKMSKeyARN))
		}
		secret := awssecretsmanager.Secret_FromSecretAttributes(stack, jsii.String("TeamDatabaseSecret"), attrs)
		// The environment's database settings do not apply (the
		// configuration refuses them).
		p.Database = database.Props{
			Existing:     &database.Existing{Instance: instance, Secret: secret, Engine: database.Engine(d.Engine)},
			DatabaseName: d.DatabaseName,
		}
	}
	if s := b.DatabaseSnapshot; s != nil {
		p.Database.SnapshotIdentifier, p.Database.Username = s.ID, s.Username
		p.Database.DatabaseName, p.Database.EngineVersion = s.DatabaseName, s.EngineVersion
	}
	if b.UploadsBucket != "" {
		// The configuration refuses the environment's replication with it.
		p.Uploads = storage.Props{ExistingBucket: awss3.Bucket_FromBucketName(stack, jsii.String("TeamUploads"), jsii.String(b.UploadsBucket))}
	}
}
