package lance

import (
	"google.golang.org/protobuf/proto"

	"github.com/lancegate/lancegate/storage/lance/pb"
)

func cloneFragment(f *pb.DataFragment) *pb.DataFragment {
	return proto.Clone(f).(*pb.DataFragment)
}
