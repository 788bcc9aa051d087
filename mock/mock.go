// Package mock provides fakes of the ward service interfaces, so that
// packages such as http can be tested without a database.
//
// Each fake has one function field per method, named after the method with
// an Fn suffix; the method calls it. A test sets only the fields it expects
// to be called, so an unexpected call panics and fails the test:
//
//	vendors := &mock.VendorService{
//		FindVendorByIDFn: func(ctx context.Context, id string) (*ward.Vendor, error) {
//			return &ward.Vendor{ID: id, Name: "Acme"}, nil
//		},
//	}
package mock
